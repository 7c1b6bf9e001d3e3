"""HMRC: tax codes, PAYE employments and pensions, Self Assessment, income by tax year."""

"""DWP: Universal Credit, Personal Independence Payment and State Pension claims."""

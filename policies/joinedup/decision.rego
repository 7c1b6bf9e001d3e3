# METADATA
# title: Field release decisions
# description: >-
#   Decides, for one gateway fetch step, which fields may be released about
#   which subjects. The decision factors in two: `fields` says whether each
#   field is within what the client may ask for its declared purpose, and
#   `subjects` says whether each subject's lawful basis or consent allows that
#   purpose. A pair (subject, field) is released when the field is PUBLIC_DATA,
#   or when the field is IN_PURPOSE and the subject allows it (see `pair`).
#   Subjects are consent profiles: the gateway sends each distinct profile once.
package joinedup.decision

import rego.v1

import data.data.clients
import data.data.purposes

# METADATA
# description: field key → {allow, reason, obligations}
# entrypoint: true
fields[field.key] := field_decision(field) if some field in input.fields

# METADATA
# description: subject key → {allow, reason}
# entrypoint: true
subjects[subject] := subject_decision(profile) if some subject, profile in input.subjects

# METADATA
# description: The decision for one (subject profile, field) pair.
pair(profile, field) := result if {
	f := field_decision(field)
	f.reason != "IN_PURPOSE"
	result := f
} else := object.union(subject_decision(profile), {"obligations": field_decision(field).obligations})

field_decision(field) := {"allow": false, "reason": _refusal, "obligations": []} if {
	_refusal != ""
} else := {"allow": true, "reason": "PUBLIC_DATA", "obligations": []} if {
	field.sensitivity == "PUBLIC"
} else := {"allow": true, "reason": "CONSENT_REQUEST", "obligations": []} if {
	_consent_request(field)
} else := {"allow": false, "reason": "CATEGORY_NOT_IN_PURPOSE", "obligations": []} if {
	not _in_purpose(field.category)
} else := {"allow": false, "reason": "DEPARTMENT_NOT_IN_PURPOSE", "obligations": []} if {
	not field.department in _purpose.departments
} else := {"allow": true, "reason": "IN_PURPOSE", "obligations": _obligations(field)}

subject_decision(profile) := {"allow": false, "reason": _refusal} if {
	_refusal != ""
} else := {"allow": reason in _allowing, "reason": reason} if {
	reason := _basis_reason(profile)
}

_allowing := {
	"CONSENT_GIVEN",
	"LAWFUL_BASIS_PUBLIC_TASK",
	"LAWFUL_BASIS_LEGAL_OBLIGATION",
	"DATA_SUBJECT_ACCESS",
}

default _refusal := ""

_refusal := "UNKNOWN_CLIENT" if {
	not clients[input.client.id]
} else := "UNKNOWN_PURPOSE" if {
	not purposes[input.purpose]
} else := "PURPOSE_NOT_PERMITTED_FOR_CLIENT" if {
	not input.purpose in clients[input.client.id].purposes
}

_purpose := purposes[input.purpose]

_basis_reason(profile) := "LAWFUL_BASIS_PUBLIC_TASK" if {
	_purpose.lawful_basis == "public_task"
} else := "LAWFUL_BASIS_LEGAL_OBLIGATION" if {
	_purpose.lawful_basis == "legal_obligation"
} else := _subject_access_reason(profile) if {
	_purpose.lawful_basis == "data_subject_access"
} else := _consent_reason(profile)

# A service may ask a citizen for consent to a consent-based purpose it may declare
# (and see its own request) before any consent exists: that is how consent is asked.
_consent_request(field) if {
	_purpose.lawful_basis == "consent"
	field.department == "consent"
	_within(field.category, "user.privacy_preferences.consent_request")
}

_subject_access_reason(profile) := "DATA_SUBJECT_ACCESS" if {
	profile.self == true
} else := "NOT_THE_DATA_SUBJECT"

# The citizen's one switch for all optional sharing overrides every consent.
_consent_reason(profile) := "OPTED_OUT" if {
	profile.opted_out == true
} else := _record_reason(profile.consents[input.purpose]) if {
	profile.consents[input.purpose]
} else := "CONSENT_REQUIRED"

_record_reason(record) := "CONSENT_EXPIRED" if {
	record.state == "given"
	_expired(record)
} else := "CONSENT_GIVEN" if {
	record.state == "given"
} else := "CONSENT_WITHDRAWN" if {
	record.state == "withdrawn"
} else := "CONSENT_REFUSED" if {
	record.state == "refused"
} else := "CONSENT_EXPIRED" if {
	record.state == "expired"
} else := "CONSENT_REQUIRED"

_expired(record) if {
	record.expires_at
	time.parse_rfc3339_ns(record.expires_at) <= time.parse_rfc3339_ns(input.now)
}

# A purpose naming `user.financial` covers `user.financial.tax.code`: some
# leading part of the field's category is one of the purpose's categories.
_in_purpose(category) if {
	parts := split(category, ".")
	some n in numbers.range(1, count(parts))
	concat(".", array.slice(parts, 0, n)) in _purpose_categories
}

_purpose_categories contains category if some category in _purpose.categories

_within(category, allowed) if category == allowed

_within(category, allowed) if startswith(category, concat("", [allowed, "."]))

_obligations(field) := _purpose.obligations[field.category] if {
	_purpose.obligations[field.category]
} else := []

# METADATA
# description: Everything one fetch step needs, in one evaluation.
# entrypoint: true
result := {"fields": fields, "subjects": subjects}

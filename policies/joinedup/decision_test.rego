package joinedup.decision_test

import rego.v1

import data.joinedup.decision

_licence := {"key": "Citizen.drivingLicence", "department": "dvla", "category": "user.government_id.drivers_license_number", "sensitivity": "PERSONAL"}

_tax_code := {"key": "Citizen.taxCode", "department": "hmrc", "category": "user.financial.tax.code", "sensitivity": "PERSONAL"}

_dob := {"key": "Citizen.dateOfBirth", "department": "identity", "category": "user.demographic.date_of_birth", "sensitivity": "PERSONAL"}

_practice := {"key": "GpPractice.name", "department": "nhs", "category": "public.gp_practice.name", "sensitivity": "PUBLIC"}

_request(client, purpose) := {"client": {"id": client}, "purpose": purpose, "now": "2026-11-21T12:00:00Z"}

_blue_badge := _request("blue-badge-service", "blue-badge-eligibility")

_given := {"self": false, "opted_out": false, "consents": {"blue-badge-eligibility": {"state": "given"}}}

_with_state(state) := {"self": false, "opted_out": false, "consents": {"blue-badge-eligibility": {"state": state}}}

test_consent_given_releases if {
	d := decision.pair(_given, _licence) with input as _blue_badge
	d == {"allow": true, "reason": "CONSENT_GIVEN", "obligations": []}
}

test_no_record_requires_consent if {
	profile := {"self": false, "opted_out": false, "consents": {}}
	d := decision.pair(profile, _licence) with input as _blue_badge
	d.reason == "CONSENT_REQUIRED"
	d.allow == false
}

test_withdrawn_consent_refuses if {
	d := decision.pair(_with_state("withdrawn"), _licence) with input as _blue_badge
	d == {"allow": false, "reason": "CONSENT_WITHDRAWN", "obligations": []}
}

test_refused_consent_refuses if {
	d := decision.pair(_with_state("refused"), _licence) with input as _blue_badge
	d.reason == "CONSENT_REFUSED"
	d.allow == false
}

test_expired_state_refuses if {
	d := decision.pair(_with_state("expired"), _licence) with input as _blue_badge
	d.reason == "CONSENT_EXPIRED"
}

test_given_consent_past_its_expiry_refuses if {
	profile := {"self": false, "opted_out": false, "consents": {"blue-badge-eligibility": {"state": "given", "expires_at": "2026-11-01T00:00:00Z"}}}
	d := decision.pair(profile, _licence) with input as _blue_badge
	d == {"allow": false, "reason": "CONSENT_EXPIRED", "obligations": []}
}

test_given_consent_before_its_expiry_releases if {
	profile := {"self": false, "opted_out": false, "consents": {"blue-badge-eligibility": {"state": "given", "expires_at": "2027-11-01T00:00:00Z"}}}
	d := decision.pair(profile, _licence) with input as _blue_badge
	d.reason == "CONSENT_GIVEN"
}

test_opt_out_overrides_given_consent if {
	profile := object.union(_given, {"opted_out": true})
	d := decision.pair(profile, _licence) with input as _blue_badge
	d == {"allow": false, "reason": "OPTED_OUT", "obligations": []}
}

test_unknown_client_refuses if {
	d := decision.pair(_given, _licence) with input as _request("nobody", "blue-badge-eligibility")
	d.reason == "UNKNOWN_CLIENT"
	d.allow == false
}

test_unknown_purpose_refuses if {
	d := decision.pair(_given, _licence) with input as _request("blue-badge-service", "marketing")
	d.reason == "UNKNOWN_PURPOSE"
}

test_purpose_not_permitted_for_client if {
	d := decision.pair(_given, _licence) with input as _request("gp-dashboard", "blue-badge-eligibility")
	d == {"allow": false, "reason": "PURPOSE_NOT_PERMITTED_FOR_CLIENT", "obligations": []}
}

test_category_outside_the_purpose_refuses_even_with_consent if {
	d := decision.pair(_given, _tax_code) with input as _blue_badge
	d == {"allow": false, "reason": "CATEGORY_NOT_IN_PURPOSE", "obligations": []}
}

test_department_outside_the_purpose_refuses if {
	field := object.union(_licence, {"department": "hmrc"})
	d := decision.pair(_given, field) with input as _blue_badge
	d.reason == "DEPARTMENT_NOT_IN_PURPOSE"
}

test_public_task_needs_no_consent if {
	profile := {"self": false, "opted_out": true, "consents": {}}
	d := decision.pair(profile, _tax_code) with input as _request("universal-credit-service", "universal-credit-assessment")
	d == {"allow": true, "reason": "LAWFUL_BASIS_PUBLIC_TASK", "obligations": []}
}

test_legal_obligation_releases_with_its_obligations if {
	profile := {"self": false, "opted_out": true, "consents": {}}
	d := decision.pair(profile, _dob) with input as _request("counter-fraud", "fraud-prevention")
	d == {"allow": true, "reason": "LAWFUL_BASIS_LEGAL_OBLIGATION", "obligations": ["year_only"]}
}

test_citizen_sees_their_own_record if {
	profile := {"self": true, "opted_out": true, "consents": {}}
	d := decision.pair(profile, _tax_code) with input as _request("citizen-portal", "citizen-access")
	d.reason == "DATA_SUBJECT_ACCESS"
	d.allow == true
}

test_citizen_cannot_see_another_record if {
	profile := {"self": false, "opted_out": false, "consents": {}}
	d := decision.pair(profile, _tax_code) with input as _request("citizen-portal", "citizen-access")
	d == {"allow": false, "reason": "NOT_THE_DATA_SUBJECT", "obligations": []}
}

test_public_reference_data_is_released if {
	profile := {"self": false, "opted_out": true, "consents": {}}
	d := decision.pair(profile, _practice) with input as _blue_badge
	d.reason == "PUBLIC_DATA"
	d.allow == true
}

test_public_data_still_needs_a_known_client if {
	d := decision.pair(_given, _practice) with input as _request("nobody", "blue-badge-eligibility")
	d.reason == "UNKNOWN_CLIENT"
}

test_result_covers_every_field_and_subject if {
	step := object.union(_blue_badge, {
		"fields": [_licence, _tax_code],
		"subjects": {"p1": _given, "p2": _with_state("withdrawn")},
	})
	r := decision.result with input as step
	r.fields["Citizen.drivingLicence"].reason == "IN_PURPOSE"
	r.fields["Citizen.taxCode"].reason == "CATEGORY_NOT_IN_PURPOSE"
	r.subjects.p1 == {"allow": true, "reason": "CONSENT_GIVEN"}
	r.subjects.p2 == {"allow": false, "reason": "CONSENT_WITHDRAWN"}
}

_consent_request := {"key": "ConsentRequest.status", "department": "consent", "category": "user.privacy_preferences.consent_request", "sensitivity": "PERSONAL"}

test_a_service_may_ask_for_consent_before_it_exists if {
	profile := {"self": false, "opted_out": false, "consents": {}}
	d := decision.pair(profile, _consent_request) with input as _blue_badge
	d == {"allow": true, "reason": "CONSENT_REQUEST", "obligations": []}
}

test_asking_for_consent_is_only_for_consent_based_purposes if {
	profile := {"self": false, "opted_out": false, "consents": {}}
	d := decision.pair(profile, _consent_request) with input as _request("universal-credit-service", "universal-credit-assessment")
	d.reason == "CATEGORY_NOT_IN_PURPOSE"
}

test_a_purpose_covers_the_categories_below_its_own if {
	field := object.union(_tax_code, {"category": "user.financial.tax.code"})
	d := decision.field_decision(field) with input as _request("universal-credit-service", "universal-credit-assessment")
	d.reason == "IN_PURPOSE"
}

test_a_purpose_covers_its_own_category_exactly if {
	field := object.union(_tax_code, {"category": "user.financial"})
	d := decision.field_decision(field) with input as _request("universal-credit-service", "universal-credit-assessment")
	d.reason == "IN_PURPOSE"
}

test_a_category_sharing_only_letters_with_the_purposes_is_not_covered if {
	field := object.union(_tax_code, {"category": "user.financial_history"})
	d := decision.field_decision(field) with input as _request("universal-credit-service", "universal-credit-assessment")
	d.reason == "CATEGORY_NOT_IN_PURPOSE"
}

test_a_broader_category_than_the_purposes_is_not_covered if {
	field := object.union(_tax_code, {"category": "user"})
	d := decision.field_decision(field) with input as _request("universal-credit-service", "universal-credit-assessment")
	d.reason == "CATEGORY_NOT_IN_PURPOSE"
}

_gp_readings := _request("gp-dashboard", "gp-home-readings")

_gp_given := {"self": false, "opted_out": false, "consents": {"gp-home-readings": {"state": "given"}}}

test_gp_home_readings_cover_vital_signs_only if {
	reading := {"key": "BloodPressureReading.systolic", "department": "nhs", "category": "user.health_and_medical.vitals.blood_pressure", "sensitivity": "SPECIAL"}
	condition := {"key": "LongTermCondition.term", "department": "nhs", "category": "user.health_and_medical.condition", "sensitivity": "SPECIAL"}
	decision.pair(_gp_given, reading).allow with input as _gp_readings
	d := decision.pair(_gp_given, condition) with input as _gp_readings
	d.reason == "CATEGORY_NOT_IN_PURPOSE"
}

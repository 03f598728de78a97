// Package custodian implements openapi/custodian.yaml (gen/custodianapi), mounted at
// /custodian: password or emailed-token login, profiles, notification settings, user events and
// per-user rate limits. Handlers translate the wire format around handlers/internal/custodianflow.
//
// Deviations from the seed (a flattened reference that kept no paths): the paths are the
// issue's; an event's `created` carries its zone (RFC 3339, UTC); an unknown user is 404
// USER_NOT_FOUND; the seed's example passwords break its own rule and are refused; every bad
// input is 400 BAD_REQUEST with a message naming the field and the rule, except a malformed
// user id (INVALID_USER_ID) and channel (INVALID_CHANNEL).
package custodian

// Package emailcode implements openapi/emailcode.yaml (gen/emailcodeapi): sign-in with an emailed
// one-time code and guest accounts, mounted at /api/v1/auth. Handlers translate the wire format
// around the flows of handlers/internal/authflow.
//
// Deviations from the seed document: request-code answers 202 with the code's expiry in the
// envelope; errors carry stable codes (see the spec's description); 413, 415 and 429 are declared.
package emailcode

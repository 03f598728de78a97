package baflow

import (
	"net/http"

	"gatehouse/handlers/internal/apierror"
)

// Errors of the Better Auth flows. Better Auth ties each of its error codes to one HTTP status,
// and its clients read both, so the codes, messages and statuses are Better Auth 1.7's own and
// live together here, the one table for this API.
var (
	ErrUnauthorized              = baError(http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized")
	ErrInvalidEmailOrPassword    = baError(http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	ErrInvalidUsernameOrPassword = baError(http.StatusUnauthorized, "INVALID_USERNAME_OR_PASSWORD", "Invalid username or password")
	ErrInvalidPassword           = baError(http.StatusBadRequest, "INVALID_PASSWORD", "Invalid password")
	ErrInvalidEmail              = baError(http.StatusBadRequest, "INVALID_EMAIL", "Invalid email")
	ErrPasswordTooShort          = baError(http.StatusBadRequest, "PASSWORD_TOO_SHORT", "Password too short")
	ErrPasswordTooLong           = baError(http.StatusBadRequest, "PASSWORD_TOO_LONG", "Password too long")
	ErrUserExists                = baError(http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	ErrUserExistsPlain           = baError(http.StatusUnprocessableEntity, "USER_ALREADY_EXISTS", "User already exists.")
	ErrUserNotFound              = baError(http.StatusNotFound, "USER_NOT_FOUND", "User not found")
	ErrInvalidToken              = baError(http.StatusBadRequest, "INVALID_TOKEN", "Invalid token")
	ErrInvalidTokenUnauthorized  = baError(http.StatusUnauthorized, "INVALID_TOKEN", "Invalid token")
	ErrTokenExpired              = baError(http.StatusUnauthorized, "TOKEN_EXPIRED", "Token expired")
	ErrEmailNotVerified          = baError(http.StatusForbidden, "EMAIL_NOT_VERIFIED", "Email not verified")
	ErrEmailAlreadyVerified      = baError(http.StatusBadRequest, "EMAIL_ALREADY_VERIFIED", "Email is already verified")
	ErrEmailMismatch             = baError(http.StatusBadRequest, "EMAIL_MISMATCH", "Email mismatch")
	ErrEmailCannotBeUpdated      = baError(http.StatusBadRequest, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	ErrCredentialAccountNotFound = baError(http.StatusBadRequest, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	ErrSessionExpired            = baError(http.StatusBadRequest, "SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action.")
	ErrSessionNotFresh           = baError(http.StatusForbidden, "SESSION_NOT_FRESH", "Session is not fresh")
	ErrUnlinkLastAccount         = baError(http.StatusBadRequest, "FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account")
	ErrAccountNotFound           = baError(http.StatusBadRequest, "ACCOUNT_NOT_FOUND", "Account not found")
	ErrProviderNotFound          = baError(http.StatusNotFound, "PROVIDER_NOT_FOUND", "Provider not found")
	ErrSocialAccountLinked       = baError(http.StatusBadRequest, "SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked")
	ErrLinkedAccountExists       = baError(http.StatusBadRequest, "LINKED_ACCOUNT_ALREADY_EXISTS", "Linked account already exists")
	ErrIDTokenNotSupported       = baError(http.StatusNotFound, "ID_TOKEN_NOT_SUPPORTED", "id_token not supported")
	ErrFailedToGetUserInfo       = baError(http.StatusUnauthorized, "FAILED_TO_GET_USER_INFO", "Failed to get user info")
	ErrUserEmailNotFound         = baError(http.StatusUnauthorized, "USER_EMAIL_NOT_FOUND", "User email not found")
	ErrUserAlreadyHasPassword    = baError(http.StatusBadRequest, "USER_ALREADY_HAS_PASSWORD", "User already has a password. Provide that to delete the account.")
	ErrUsernameTaken             = baError(http.StatusBadRequest, "USERNAME_IS_ALREADY_TAKEN", "Username is already taken. Please try another.")
	ErrUsernameTooShort          = baError(http.StatusBadRequest, "USERNAME_TOO_SHORT", "Username is too short")
	ErrUsernameTooLong           = baError(http.StatusBadRequest, "USERNAME_TOO_LONG", "Username is too long")
	ErrInvalidUsername           = baError(http.StatusBadRequest, "INVALID_USERNAME", "Username is invalid")
	ErrInvalidOrigin             = baError(http.StatusForbidden, "INVALID_ORIGIN", "Invalid origin")
	ErrMissingOrigin             = baError(http.StatusForbidden, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	ErrCrossSiteNavigation       = baError(http.StatusForbidden, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	ErrInvalidCallbackURL        = baError(http.StatusForbidden, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	ErrInvalidRedirectURL        = baError(http.StatusForbidden, "INVALID_REDIRECT_URL", "Invalid redirectURL")
	ErrInvalidErrorCallbackURL   = baError(http.StatusForbidden, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL")
	ErrInvalidNewUserCallbackURL = baError(http.StatusForbidden, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL")
	ErrCallbackURLRequired       = baError(http.StatusBadRequest, "CALLBACK_URL_REQUIRED", "callbackURL is required")
	// ErrReservedAuthParams is Better Auth's refusal (by its body schema) of additionalParams that
	// would set a parameter of the flow's own.
	ErrReservedAuthParams = baError(http.StatusBadRequest, "VALIDATION_ERROR",
		"[body.additionalParams] additionalParams cannot include reserved OAuth parameters: state, client_id, redirect_uri, response_type, code_challenge, code_challenge_method, nonce, scope")
	ErrLinkingNotAllowed      = baError(http.StatusUnauthorized, "LINKING_NOT_ALLOWED", "Account not linked - linking not allowed")
	ErrLinkingDifferentEmails = baError(http.StatusUnauthorized, "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", "Account not linked - different emails not allowed")
	ErrLinkingFailed          = baError(http.StatusExpectationFailed, "LINKING_FAILED", "Account not linked - unable to create account")
	ErrProviderNotConfigured  = baError(http.StatusBadRequest, "PROVIDER_NOT_CONFIGURED", "Account is not associated with a configured social provider.")
	ErrAccessTokenNotFound    = baError(http.StatusBadRequest, "ACCESS_TOKEN_NOT_FOUND", "Access token not found")
	ErrFailedToGetAccessToken = baError(http.StatusBadRequest, "FAILED_TO_GET_ACCESS_TOKEN", "Failed to get a valid access token")
	// ErrNoFieldsToUpdate has no code in Better Auth; ours names it.
	ErrNoFieldsToUpdate = baError(http.StatusBadRequest, "NO_FIELDS_TO_UPDATE", "No fields to update")
)

// apiErr is the error type of the flows.
type apiErr = apierror.Error

func baError(status int, code, message string) *apierror.Error {
	return apierror.New(status, code, message)
}

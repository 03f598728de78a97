package baflow

import (
	"net/http"

	"gatehouse/handlers/internal/apierror"
)

// BannedUserMessage is what Better Auth's admin plugin answers a banned user's sign-in with (its
// bannedUserMessage option, not the text of its BANNED_USER error code).
const BannedUserMessage = "You have been banned from this application. Please contact support if you believe this is an error."

// Errors of the admin plugin (Better Auth's ADMIN_ERROR_CODES, with the statuses its routes use).
var (
	// ErrAdminUnauthorized is the admin middleware's 401 without a body.
	ErrAdminUnauthorized = &apierror.Error{Status: http.StatusUnauthorized}
	ErrBannedUser        = baError(http.StatusForbidden, "BANNED_USER", BannedUserMessage)

	ErrNotAllowedListUsers      = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users")
	ErrNotAllowedGetUser        = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user")
	ErrNotAllowedCreateUsers    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users")
	ErrNotAllowedUpdateUsers    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users")
	ErrNotAllowedChangeRole     = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "You are not allowed to change users role")
	ErrNotAllowedBanUsers       = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users")
	ErrNotAllowedSetEmail       = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL", "You are not allowed to update users email")
	ErrNotAllowedListSessions   = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions")
	ErrNotAllowedRevokeSessions = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions")
	ErrNotAllowedDeleteUsers    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users")
	ErrNotAllowedSetPassword    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password")
	ErrNotAllowedImpersonate    = baError(http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "You are not allowed to impersonate users")
	ErrCannotImpersonateAdmins  = baError(http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins")
	ErrCannotBanYourself        = baError(http.StatusBadRequest, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
	ErrCannotRemoveYourself     = baError(http.StatusBadRequest, "YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself")
	ErrNoDataToUpdate           = baError(http.StatusBadRequest, "NO_DATA_TO_UPDATE", "No data to update")
	ErrPasswordViaUpdateUser    = baError(http.StatusBadRequest, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER", "Password cannot be updated through update-user. Use the set-user-password endpoint instead")
	ErrUserIDCannotBeUpdated    = baError(http.StatusBadRequest, "USER_ID_CANNOT_BE_UPDATED", "User id cannot be updated")
	ErrNonExistentRole          = baError(http.StatusBadRequest, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", "You are not allowed to set a non-existent role value")
	ErrAdminUserExists          = baError(http.StatusBadRequest, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	ErrNotImpersonating         = &apierror.Error{Status: http.StatusBadRequest, Message: "You are not impersonating anyone"}
	ErrAdminSessionNotFound     = &apierror.Error{Status: http.StatusInternalServerError, Message: "Failed to find admin session"}
	ErrImpersonatorNotFound     = &apierror.Error{Status: http.StatusInternalServerError, Message: "Failed to find user"}
	ErrNoPermissionsPassed      = &apierror.Error{Status: http.StatusBadRequest, Message: "invalid permission check. no permission(s) were passed."}
	ErrPermissionBodyInvalid    = baError(http.StatusBadRequest, "VALIDATION_ERROR", "[body] Invalid input")
)

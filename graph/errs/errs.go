// Package errs is the error model shared by GraphQL and the legacy REST layer.
//
// A business failure carries the legacy errorCode (0 for validation and plain
// failures) and the exact message clients display. GraphQL exposes both in the
// error's extensions; REST puts them into the {"status":0,...} envelope.
package errs

import "errors"

// Legacy business error codes (spec Appendix A.2).
const (
	CodeFailure           = 0
	CodeDuplicate         = -1
	CodeAccountFrozen     = 100002
	CodeProfileIncomplete = 200000
	CodeUserNotFound      = 200002
	CodeRoomNotFound      = 400000
	CodeRoomBlocked       = 400001
	CodeClubNotFound      = 500000
	CodeEventNotFound     = 600000
)

// Kind tells transports how to treat an error beyond its business code.
type Kind int

const (
	// KindBusiness is a normal business failure (HTTP 200 envelope in REST).
	KindBusiness Kind = iota
	// KindUnauthenticated means the caller has no valid session (HTTP 401).
	KindUnauthenticated
	// KindBadRequest means the request itself is malformed (HTTP 400).
	KindBadRequest
	// KindUnavailable means a required provider is not configured or down.
	KindUnavailable
	// KindBadUserInput means the value of one argument is invalid (a
	// malformed cursor, a page size out of range); Error.Argument names it.
	KindBadUserInput
)

// GraphQL error codes: the extensions.code of every GraphQL error, which the
// REST layer maps back to the legacy answers.
const (
	ExtBusiness        = "BUSINESS"
	ExtUnauthenticated = "UNAUTHENTICATED"
	ExtBadRequest      = "BAD_REQUEST"
	ExtBadUserInput    = "BAD_USER_INPUT"
	ExtUnavailable     = "UNAVAILABLE"
	ExtInternal        = "INTERNAL"
)

// RequestCanceled is the message of an operation whose context ended (its
// deadline passed or its client went away) before it could answer, with
// ExtUnavailable.
const RequestCanceled = "request canceled"

// Error is a business failure.
type Error struct {
	Code    int
	Message string
	Kind    Kind
	// Argument is the GraphQL argument at fault (KindBadUserInput).
	Argument string
}

func (e *Error) Error() string { return e.Message }

// Failure is a plain failure (errorCode 0) with a message, e.g. a validation message.
func Failure(message string) *Error { return &Error{Code: CodeFailure, Message: message} }

// BadArgument is an invalid value of the GraphQL argument arg
// (extensions.code BAD_USER_INPUT, extensions.argument arg).
func BadArgument(arg, message string) *Error {
	return &Error{Code: CodeFailure, Message: message, Kind: KindBadUserInput, Argument: arg}
}

// New is a failure with a business code and message.
func New(code int, message string) *Error { return &Error{Code: code, Message: message} }

// Common errors with their exact legacy messages.
var (
	Duplicate         = New(CodeDuplicate, "Call Duplicate")
	AccountFrozen     = New(CodeAccountFrozen, "账号已被冻结")
	ProfileIncomplete = New(CodeProfileIncomplete, "用户资料未初始化")
	UserNotFound      = New(CodeUserNotFound, "用户不存在")
	RoomNotFound      = New(CodeRoomNotFound, "活动已解散")
	RoomBlocked       = New(CodeRoomBlocked, "无法加入此活动")
	ClubNotFound      = New(CodeClubNotFound, "圈子不存在")
	EventNotFound     = New(CodeEventNotFound, "日程不存在")
	Unauthenticated   = &Error{Code: CodeFailure, Message: "Authorized Failed", Kind: KindUnauthenticated}
)

// As returns the business error inside err, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

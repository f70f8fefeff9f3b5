package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph/errs"
)

// Error codes in extensions.code.
const (
	CodeBusiness        = "BUSINESS"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeBadRequest      = "BAD_REQUEST"
	CodeUnavailable     = "UNAVAILABLE"
	CodeInternal        = "INTERNAL"
)

// internalMessage is all a client learns of an unexpected failure.
const internalMessage = "internal server error"

// ErrorPresenter turns resolver errors into GraphQL errors: a business error
// keeps its message and carries extensions {code, errorCode}; an error of
// gqlgen's own (bad arguments or variables) is a bad request; anything else is
// logged and hidden behind a generic message.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := errs.As(err); ok {
			gqlErr.Message = e.Message
			gqlErr.Extensions = map[string]any{"code": kindCode(e.Kind), "errorCode": e.Code}
			return gqlErr
		}
		var internal *internalError
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			gqlErr.Message = "request canceled"
			gqlErr.Extensions = map[string]any{"code": CodeUnavailable}
		case errors.As(err, &internal):
			log.Error("resolver failed", "path", gqlErr.Path.String(), "err", internal.err)
			gqlErr.Message = internalMessage
			gqlErr.Extensions = map[string]any{"code": CodeInternal}
		default: // gqlgen's own errors: arguments or variables of the wrong shape
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			if _, ok := gqlErr.Extensions["code"]; !ok {
				gqlErr.Extensions["code"] = CodeBadRequest
			}
		}
		return gqlErr
	}
}

// internalError marks an error a resolver returned that is not a business
// error: a database or provider failure the client must not see.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// MarkInternal is a field middleware that tags resolver errors which are not
// business errors, so the presenter can tell them from gqlgen's input errors.
func MarkInternal(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err == nil {
		return res, nil
	}
	if _, ok := errs.As(err); ok {
		return res, err
	}
	var own *gqlerror.Error
	if errors.As(err, &own) {
		return res, err
	}
	return res, &internalError{err: err}
}

// RecoverFunc logs a resolver panic and answers a generic error.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.Error("resolver panic", "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: internalMessage, Extensions: map[string]any{"code": CodeInternal}}
	}
}

func kindCode(k errs.Kind) string {
	switch k {
	case errs.KindUnauthenticated:
		return CodeUnauthenticated
	case errs.KindBadRequest:
		return CodeBadRequest
	case errs.KindUnavailable:
		return CodeUnavailable
	default:
		return CodeBusiness
	}
}

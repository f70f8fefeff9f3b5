package graph

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
)

// internalMessage is all a client learns of an unexpected failure.
const internalMessage = "internal server error"

// ErrorPresenter turns errors into GraphQL errors: a business error keeps
// its message and carries extensions {code, errorCode}; gqlgen's own request
// errors (parse, validation, variables) are bad requests; any other error a
// resolver returned is logged and hidden behind a generic message.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := errs.As(err); ok {
			gqlErr.Message = e.Message
			gqlErr.Extensions = map[string]any{"code": kindCode(e.Kind), "errorCode": e.Code}
			if e.Argument != "" {
				gqlErr.Extensions["argument"] = e.Argument
			}
			return gqlErr
		}
		switch {
		case entdb.Canceled(err):
			gqlErr.Message = "request canceled"
			gqlErr.Extensions = map[string]any{"code": errs.ExtUnavailable}
		case gqlErr.Err != nil:
			// A Go error from a resolver (gqlgen wraps it with its path):
			// a database or provider failure the client must not see.
			log.ErrorContext(ctx, "resolver failed", "path", gqlErr.Path.String(), "err", gqlErr.Err)
			gqlErr.Message = internalMessage
			gqlErr.Extensions = map[string]any{"code": errs.ExtInternal}
		default: // gqlgen's own errors: the request does not fit the schema
			// Some quote the input (a body that is not JSON, a variable's
			// value): never echo more than a short prefix of it.
			if msg, ok := variableNumberMessage(gqlErr); ok {
				gqlErr.Message = msg
			}
			gqlErr.Message = truncate(gqlErr.Message, maxMessageBytes)
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			if _, ok := gqlErr.Extensions["code"]; !ok {
				gqlErr.Extensions["code"] = errs.ExtBadRequest
			}
		}
		return gqlErr
	}
}

// variableNumberMessage rewrites gqlparser's refusal of a JSON number given
// for an Int or Float variable that does not read as one ("cannot use value
// 0 as Int" for 1.5, 1e3 or 1e30: it prints the zero it failed to read) in
// the words of the input check (graph/inputcheck) for the same variable
// elsewhere: "$n: Int must be a 32-bit integer" (GraphQL spec §3.5.1: a
// non-integer or a value outside 32 bits is refused), "$x: Float must be a
// finite number" (§3.5.2).
func variableNumberMessage(e *gqlerror.Error) (string, bool) {
	if len(e.Path) != 2 || e.Path[0] != ast.PathName("variable") || !strings.HasPrefix(e.Message, "cannot use value ") {
		return "", false
	}
	name, ok := e.Path[1].(ast.PathName)
	if !ok {
		return "", false
	}
	switch {
	case strings.HasSuffix(e.Message, " as Int"):
		return "$" + string(name) + ": Int must be a 32-bit integer", true
	case strings.HasSuffix(e.Message, " as Float"):
		return "$" + string(name) + ": Float must be a finite number", true
	}
	return "", false
}

// maxMessageBytes bounds the message of a request error.
const maxMessageBytes = 200

// truncate cuts s to at most n bytes on a UTF-8 boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// RecoverFunc logs a resolver panic and answers a generic error.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: internalMessage, Extensions: map[string]any{"code": errs.ExtInternal}}
	}
}

func kindCode(k errs.Kind) string {
	switch k {
	case errs.KindUnauthenticated:
		return errs.ExtUnauthenticated
	case errs.KindBadRequest:
		return errs.ExtBadRequest
	case errs.KindUnavailable:
		return errs.ExtUnavailable
	case errs.KindBadUserInput:
		return errs.ExtBadUserInput
	default:
		return errs.ExtBusiness
	}
}

package graph

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/inputcheck"
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
			gqlErr.Message = errs.RequestCanceled
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
			if msg, ok := variableMessage(gqlErr); ok {
				gqlErr.Message = msg
			} else if gqlErr.Message == gqlgenNoOperationName {
				gqlErr.Message = msgOperationNameRequired
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

// variableMessage rewords gqlparser's refusal of a variable's value (an
// error at the path ["variable", name, ...]) that names Go's types or
// prints a number it failed to read: "cannot use value 0 as Int" (for 1.5,
// 1e3 or 1e30 given for an Int), "cannot use string as Int" (a number or a
// string inside an input object), "cannot use bool as String", "must be a
// In, not a slice". An Int or Float gets the input check's words
// (inputcheck.IntRefusal), whichever check refused it: "$in.n: Int must be
// a 32-bit integer" (GraphQL spec §3.5.1), "$x: Float must be a finite
// number" (§3.5.2); another type "$in.name: must be a value of type
// String".
func variableMessage(e *gqlerror.Error) (string, bool) {
	if len(e.Path) < 2 || e.Path[0] != ast.PathName("variable") {
		return "", false
	}
	typ := ""
	switch m := e.Message; {
	case strings.HasPrefix(m, "cannot use ") && strings.Contains(m, " as "):
		typ = m[strings.LastIndex(m, " as ")+len(" as "):]
	case strings.HasPrefix(m, "must be a ") && strings.Contains(m, ", not a "):
		typ = m[len("must be a "):strings.Index(m, ", not a ")]
	default:
		return "", false
	}
	if typ == "" || strings.ContainsAny(typ, " :;") {
		return "", false // a form of the message this does not know
	}
	where := "$"
	for i, p := range e.Path[1:] {
		switch p := p.(type) {
		case ast.PathName:
			if i > 0 {
				where += "."
			}
			where += string(p)
		case ast.PathIndex:
			where += "[" + strconv.Itoa(int(p)) + "]"
		}
	}
	switch typ {
	case "Int":
		return inputcheck.IntRefusal(typ, where), true
	case "Float":
		return where + ": Float must be a finite number", true
	}
	return where + ": must be a value of type " + typ, true
}

// gqlgenNoOperationName is gqlgen's refusal of a document with several
// operations and no operationName ("operation %s not found" with an empty
// name); msgOperationNameRequired says what is missing instead (GraphQL spec
// §6.1, GetOperation).
const (
	gqlgenNoOperationName    = "operation  not found"
	msgOperationNameRequired = "operationName is required: the document defines several operations"
)

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

package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph/errs"
)

func TestErrorPresenter(t *testing.T) {
	present := ErrorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	path := ast.Path{ast.PathName("user")}

	// A business error keeps its message and code.
	e := present(ctx, gqlerror.WrapPath(path, errs.UserNotFound))
	if e.Message != "用户不存在" || e.Extensions["code"] != errs.ExtBusiness || e.Extensions["errorCode"] != 200002 {
		t.Errorf("business error: %+v", e)
	}
	// A bad argument names it.
	e = present(ctx, gqlerror.WrapPath(path, errs.BadArgument("after", "after is not a cursor")))
	if e.Extensions["code"] != errs.ExtBadUserInput || e.Extensions["argument"] != "after" || e.Message != "after is not a cursor" {
		t.Errorf("bad argument: %+v", e)
	}
	// A resolver's own failure is hidden.
	e = present(ctx, gqlerror.WrapPath(path, errors.New("pq: connection refused to 10.0.0.5")))
	if e.Message != internalMessage || e.Extensions["code"] != errs.ExtInternal {
		t.Errorf("internal error leaks: %+v", e)
	}
	// gqlgen's request errors stay as they are, marked as bad requests.
	e = present(ctx, &gqlerror.Error{Message: "Cannot query field \"nope\""})
	if e.Message != "Cannot query field \"nope\"" || e.Extensions["code"] != errs.ExtBadRequest {
		t.Errorf("request error: %+v", e)
	}
	e = present(ctx, &gqlerror.Error{Message: "bad", Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})
	if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("validation error code replaced: %+v", e)
	}
	// A statement the database stopped because the request ran out of
	// time, whatever the driver says: unavailable, not internal.
	for _, err := range []error{context.Canceled, context.DeadlineExceeded,
		fmt.Errorf("ent: %w", &pq.Error{Code: "57014", Message: "canceling statement due to user request"})} {
		e = present(ctx, gqlerror.WrapPath(path, err))
		if e.Extensions["code"] != errs.ExtUnavailable || e.Message != "request canceled" {
			t.Errorf("canceled (%v): %+v", err, e)
		}
	}
	if e = present(ctx, gqlerror.WrapPath(path, &pq.Error{Code: "23505"})); e.Extensions["code"] != errs.ExtInternal {
		t.Errorf("another database error: %+v", e)
	}
	var _ graphql.ErrorPresenterFunc = present //nolint:staticcheck // QF1011: the declared type is the point, a compile-time check of present
}

package graph

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
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
	e = present(ctx, gqlerror.WrapPath(path, context.Canceled))
	if e.Extensions["code"] != errs.ExtUnavailable {
		t.Errorf("canceled: %+v", e)
	}
	var _ graphql.ErrorPresenterFunc = present //nolint:staticcheck // QF1011: the declared type is the point, a compile-time check of present
}

package rest

import (
	"context"
	"strconv"

	"github.com/gin-gonic/gin"

	"chaoqer/ent/entdb"
)

// StatementHeader is the response header that reports how many SQL
// statements a request ran (only when the debug option is on).
const StatementHeader = "X-Sql-Statements"

// CountStatements counts the SQL statements each request runs and reports
// them in the StatementHeader. Tests and load scripts use it to pin the
// cost of an endpoint.
func CountStatements() gin.HandlerFunc {
	return func(c *gin.Context) {
		// Reuse the request's counter when the instrumentation made one.
		n := entdb.CounterFrom(c.Request.Context())
		if n == nil {
			var ctx context.Context
			ctx, n = entdb.WithCounter(c.Request.Context())
			c.Request = c.Request.WithContext(ctx)
		}
		c.Writer = &countingWriter{ResponseWriter: c.Writer, report: func() string { return strconv.FormatInt(n.Load(), 10) }}
		c.Next()
	}
}

// countingWriter sets the statement header just before the status line goes out.
type countingWriter struct {
	gin.ResponseWriter
	report func() string
	done   bool
}

func (w *countingWriter) setHeader() {
	if !w.done {
		w.done = true
		w.Header().Set(StatementHeader, w.report())
	}
}

func (w *countingWriter) WriteHeader(code int) { w.setHeader(); w.ResponseWriter.WriteHeader(code) }

func (w *countingWriter) WriteHeaderNow() { w.setHeader(); w.ResponseWriter.WriteHeaderNow() }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.setHeader()
	return w.ResponseWriter.Write(b)
}

func (w *countingWriter) WriteString(s string) (int, error) {
	w.setHeader()
	return w.ResponseWriter.WriteString(s)
}

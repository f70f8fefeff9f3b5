package observe

import (
	"context"

	"chaoqer/app/metrics"
	"chaoqer/graph/sms"
)

// CountSMS decorates an SMS sender to count its sends by provider and
// result ("ok" or "error") in chaoqer_sms_sends_total.
func CountSMS(s sms.Sender, provider string) sms.Sender {
	return countingSMS{s, provider}
}

type countingSMS struct {
	sms.Sender
	provider string
}

// Unwrap returns the decorated sender.
func (c countingSMS) Unwrap() sms.Sender { return c.Sender }

// SendCode sends and counts.
func (c countingSMS) SendCode(ctx context.Context, countryCode, mobile, code string) error {
	err := c.Sender.SendCode(ctx, countryCode, mobile, code)
	result := "ok"
	if err != nil {
		result = "error"
	}
	metrics.SMSSends.WithLabelValues(c.provider, result).Inc()
	return err
}

// Package sms sends login codes by SMS. Sender is the provider interface; Log
// is the development default, and Aliyun sends real messages through Aliyun's
// Dysms SendSms API.
package sms

import (
	"context"
	"log/slog"
)

// Sender delivers one login code to a phone number.
type Sender interface {
	SendCode(ctx context.Context, countryCode, mobile, code string) error
}

// Log is the development provider: it writes the code to the server log
// instead of sending it, so a developer can log in without an SMS account.
type Log struct {
	Logger *slog.Logger
}

// SendCode logs the code.
func (l Log) SendCode(ctx context.Context, countryCode, mobile, code string) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.InfoContext(ctx, "development SMS provider: login code (not sent)", "to", Mask(countryCode, mobile), "code", code)
	return nil
}

// Mask hides the middle of a phone number for logs.
func Mask(countryCode, mobile string) string {
	if len(mobile) <= 4 {
		return "+" + countryCode + " ****"
	}
	keep := 3
	if len(mobile) < 7 {
		keep = 1
	}
	masked := mobile[:keep]
	for i := keep; i < len(mobile)-4; i++ {
		masked += "*"
	}
	return "+" + countryCode + " " + masked + mobile[len(mobile)-4:]
}

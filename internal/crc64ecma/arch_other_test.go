//go:build !amd64 || purego

package crc64ecma

import "testing"

func archUpdaters(testing.TB) map[string]updater { return nil }

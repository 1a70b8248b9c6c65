package event

import (
	"testing"
	"time"
)

func TestLinkExpires(t *testing.T) {
	tests := []struct {
		link string
		want time.Time
		ok   bool
	}{
		{"https://b.oss-cn-shanghai.aliyuncs.com/f.zip?Expires=1795596540&OSSAccessKeyId=LTAI&Signature=x%3D", time.Date(2026, 11, 25, 8, 49, 0, 0, time.UTC), true},
		{"https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-date=20261203T070000Z&x-oss-expires=604800&x-oss-signature=ab", time.Date(2026, 12, 10, 7, 0, 0, 0, time.UTC), true},
		{"https://b.oss-cn-hangzhou.aliyuncs.com/k", time.Time{}, false},
		{"https://b/k?Expires=soon", time.Time{}, false},
		{"https://b/k?Expires=-5", time.Time{}, false},
		{"https://b/k?x-oss-date=yesterday&x-oss-expires=60", time.Time{}, false},
		{"%zz", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := LinkExpires(tt.link)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("LinkExpires(%q) = %v, %v; want %v, %v", tt.link, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzLinkExpires: any link gives a time after 1970 or none, never a
// panic.
func FuzzLinkExpires(f *testing.F) {
	f.Add("https://b.oss-cn-shanghai.aliyuncs.com/f.zip?Expires=1795596540&OSSAccessKeyId=LTAI&Signature=x%3D")
	f.Add("https://b/k?x-oss-date=20261203T070000Z&x-oss-expires=604800")
	f.Add("https://b/k?Expires=99999999999999999999")
	f.Fuzz(func(t *testing.T, link string) {
		if got, ok := LinkExpires(link); ok && got.Unix() <= 0 {
			t.Fatalf("LinkExpires(%q) = %v", link, got)
		}
	})
}

package archive

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Export archives a completed export's file under Key(day, ...) and
// returns where it is kept and a link to it. When Security Center's link
// has expired (or answers 403), it asks refresh once for a fresh status
// and tries its link. day must be the same on every attempt for the
// export.
func (a *Archiver) Export(ctx context.Context, st event.Status, day time.Time, refresh func(context.Context) (event.Status, error)) (event.Archive, string, error) {
	var account string
	if st.Account != 0 {
		account = strconv.FormatInt(st.Account, 10)
	}
	key := Key(day, string(st.Kind), st.ID, account, st.FileName)
	obj, err := a.Copy(ctx, st.Link, key)
	if errors.Is(err, ErrLinkExpired) && refresh != nil {
		fresh, rerr := refresh(ctx)
		if rerr != nil {
			return event.Archive{}, "", fmt.Errorf("%w; asking Security Center for a fresh link failed: %w", err, rerr)
		}
		obj, err = a.Copy(ctx, fresh.Link, key)
		if err != nil {
			err = fmt.Errorf("with a fresh link: %w", err)
		}
	}
	if err != nil {
		return event.Archive{}, "", err
	}
	link, err := a.Link(ctx, obj)
	if err != nil {
		return event.Archive{}, "", err
	}
	return event.Archive{
		URL: obj.URL, Bucket: obj.Bucket, Key: obj.Key, Size: obj.Size,
		CRC64: strconv.FormatUint(obj.CRC64, 10), LinkExpires: link.Expires, LinkTemporary: link.Temporary,
	}, link.URL, nil
}

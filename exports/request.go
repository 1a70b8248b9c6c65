package exports

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

// fillRequest sets the fields of req, a pointer to an SDK request struct,
// from spec's API parameters (see catalog.Params), converting each to the
// type the SDK declares: ExportVul takes GroupId as a string,
// ExportSuspEvents as a number. Fields are found by name only, which keeps
// the SDK's methods out of the binary (see sdkPool).
func fillRequest(req any, spec event.StartSpec) error {
	r := reflect.ValueOf(req).Elem()
	for param, text := range catalog.Params(spec) {
		field := r.FieldByName(param)
		if !field.IsValid() || field.Kind() != reflect.Pointer {
			return fmt.Errorf("the SDK's %s has no parameter %s", r.Type().Name(), param)
		}
		v := reflect.New(field.Type().Elem())
		switch v.Elem().Kind() {
		case reflect.String:
			v.Elem().SetString(text)
		case reflect.Int64, reflect.Int32:
			n, err := strconv.ParseInt(text, 10, v.Elem().Type().Bits())
			if err != nil {
				return fmt.Errorf("parameter %s %q: %w", param, text, err)
			}
			v.Elem().SetInt(n)
		default:
			return fmt.Errorf("parameter %s: the SDK takes a %s", param, v.Elem().Type())
		}
		field.Set(v)
	}
	return nil
}

package dingtalk

import "flag"

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

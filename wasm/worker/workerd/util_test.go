//go:build !js

package workerd

import "strconv"

func strconvItoa(n int) string { return strconv.Itoa(n) }

// Command hello is the Worker bench's floor: a Go Worker on the same glue that
// answers every request with "ok", built the same way in the same run.
package main

func main() { serve() }

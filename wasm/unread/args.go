package unread

import "strconv"

// Arg is one argument as page JavaScript passed it, reduced to what the
// checks need. Type is JavaScript's name for the value's kind: "string",
// "number", "undefined", "null", "boolean", "object", "array", "bigint",
// "symbol" or "function".
type Arg struct {
	Type string
	Str  string  // when Type is "string"
	Num  float64 // when Type is "number"
}

// String and Number build Args for the two kinds that can be valid.
func String(s string) Arg  { return Arg{Type: "string", Str: s} }
func Number(n float64) Arg { return Arg{Type: "number", Num: n} }

// DialogID is a dialog as the portal names it, in lower case: "chat29",
// "sg7", "crm3", or a user id "256" for a private dialog.
type DialogID string

// MessageID is the first message to mark unread; always positive.
type MessageID int64

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER: above it a number
// no longer names one integer, so a message id there is refused.
const maxSafeInteger = 1<<53 - 1

// ParseDialogID accepts what the portal accepts, ^([0-9]+|(chat|sg|crm)[0-9]+)$
// in any case and PHP-truthy (so not "0"), or a positive safe integer (a
// user id) (docs/bitrix24.md#f-unread-dialog-id). Anything else is refused with
// the portal's own code for the parameter, DIALOG_ID_EMPTY.
func ParseDialogID(a Arg) (DialogID, *Error) {
	switch a.Type {
	case "number":
		if !isSafePositiveInteger(a.Num) {
			return "", newError(CodeDialogID, "dialog id "+formatNumber(a.Num)+" is not a positive safe integer user id")
		}
		return DialogID(strconv.FormatInt(int64(a.Num), 10)), nil
	case "string":
		if a.Str == "" {
			return "", newError(CodeDialogID, "dialog id is an empty string")
		}
		s := lowerASCII(a.Str)
		digits := s
		for _, prefix := range []string{"chat", "sg", "crm"} {
			if hasPrefix(s, prefix) {
				digits = s[len(prefix):]
				break
			}
		}
		if !allDigits(digits) {
			return "", newError(CodeDialogID, "dialog id "+quote(a.Str)+" is not a dialog id: chatNNN, sgNNN, crmNNN or a user id NNN")
		}
		if s == "0" { // PHP reads "0" as false, so the portal calls it empty
			return "", newError(CodeDialogID, "dialog id \"0\" is not a dialog id: the portal reads it as empty")
		}
		return DialogID(s), nil
	default:
		return "", newError(CodeDialogID, "dialog id must be a string such as \"chat29\" or a user id number, not "+article(a.Type))
	}
}

// ParseMessageID accepts a positive safe integer or its plain decimal
// string ("12"). The portal itself reads "12abc" as 12, the PHP way;
// refusing such strings here is deliberate, as are signs, leading zeros,
// exponents and white space: each is more likely a bug than an intent.
func ParseMessageID(a Arg) (MessageID, *Error) {
	switch a.Type {
	case "number":
		if !isSafePositiveInteger(a.Num) {
			return 0, newError(CodeMessageID, "message id "+formatNumber(a.Num)+" is not a positive safe integer")
		}
		return MessageID(a.Num), nil
	case "string":
		s := a.Str
		if s == "" {
			return 0, newError(CodeMessageID, "message id is an empty string")
		}
		if !allDigits(s) || s[0] == '0' {
			return 0, newError(CodeMessageID, "message id "+quote(s)+" is not a plain positive decimal integer")
		}
		// At most 16 digits fit below 2^53; summed by hand, because
		// strconv.ParseInt's error type brings strconv's quoting into the
		// module.
		var n int64
		for i := 0; i < len(s) && n <= maxSafeInteger; i++ {
			n = n*10 + int64(s[i]-'0')
		}
		if len(s) > 16 || n > maxSafeInteger {
			return 0, newError(CodeMessageID, "message id "+quote(s)+" is above 2^53-1")
		}
		return MessageID(n), nil
	default:
		return 0, newError(CodeMessageID, "message id must be a positive integer or its decimal string, not "+article(a.Type))
	}
}

func isSafePositiveInteger(f float64) bool {
	return f >= 1 && f <= maxSafeInteger && f == float64(int64(f))
}

// formatNumber writes f as people read it: whole numbers below 1e15 in
// plain digits (86400000, not 8.64e+07), the rest in Go's shortest form.
func formatNumber(f float64) string {
	if f > -1e15 && f < 1e15 && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func article(jsType string) string {
	switch jsType {
	case "undefined", "null":
		return jsType
	case "object", "array":
		return "an " + jsType
	}
	return "a " + jsType
}

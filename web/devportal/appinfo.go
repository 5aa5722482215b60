package devportal

import (
	"strings"
	"unicode"
)

// appInfo is app.info as CRestProvider::appInfo answers an app
// (docs/bitrix24.md#f-appinfo-license): LICENSE "<lang>_<type>", and on a cloud portal
// LICENSE_TYPE and LICENSE_FAMILY; a self-hosted portal answers "<lang>_selfhosted" and
// neither of the other two. LICENSE_FAMILY is the type's leading letters (ent250 -> ent),
// which matches the one documented example. Caller holds mu.
func (p *Portal) appInfo(params) (any, *apiError) {
	lang, typ, _ := strings.Cut(p.cfg.License, "_")
	info := orderedMap{
		{"ID", 1},
		{"CODE", "local.markunread"},
		{"VERSION", 1},
		{"STATUS", "L"},
		{"INSTALLED", true},
		{"PAYMENT_EXPIRED", "N"},
		{"DAYS", nil},
		{"LANGUAGE_ID", lang},
	}
	if p.cfg.SelfHosted {
		return append(info, orderedEntry{"LICENSE", lang + "_selfhosted"}), nil
	}
	family := strings.TrimRightFunc(typ, unicode.IsDigit)
	return append(info,
		orderedEntry{"LICENSE", p.cfg.License},
		orderedEntry{"LICENSE_TYPE", typ},
		orderedEntry{"LICENSE_FAMILY", family},
	), nil
}

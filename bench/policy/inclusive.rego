# The peer: four of inclusive-check's rules written in Rego, for the side-by-side benchmark (bench/market.py).
#
# Same semantics as the SQL rules over a submission document (input):
#   IC19-SOLVENCY-GATE  each quarter of the reporting period in which a dedicated product is on sale:
#                       core >= 50, comprehensive >= 100, IRR class A/B (or a sub-grade); a missing quarter
#                       is indeterminate
#   IC10-KPI-WEIGHT     a large insurer (declared, or undeclared with assets >= 500 bn CNY): weight >= 0.05;
#                       unknown size or no weight is indeterminate
#   IC08-PREMIUM-RATE   dedicated product: premium_rate < comparable.premium_rate (equal fails); no
#                       comparator is indeterminate
#   IC12-FEE-RATE       dedicated product sold through agency/broker/postal/bank: fee < comparable fee;
#                       either fee missing is indeterminate
# `counts` gives, per rule, the failing plus indeterminate subjects: what bench/market.py compares with the
# findings inclusive-check stored.
package inclusive

import rego.v1

min_core := 50

min_comprehensive := 100

passing_irr := {"A", "B", "AAA", "AA", "BBB", "BB"}

min_weight := 0.05

large_total_assets := 500000000000

intermediary_channels := {"agency", "broker", "postal", "bank"}

bounds := {
	"1": ["-01-01", "-03-31"],
	"2": ["-04-01", "-06-30"],
	"3": ["-07-01", "-09-30"],
	"4": ["-10-01", "-12-31"],
}

year := substring(input.reporting_period, 0, 4)

quarter_numbers := ["1", "2", "3", "4"] if not contains(input.reporting_period, "-Q")

quarter_numbers := [substring(input.reporting_period, 6, 1)] if contains(input.reporting_period, "-Q")

period_quarters contains q if {
	some n in quarter_numbers
	q := {
		"name": sprintf("%s-Q%s", [year, n]),
		"start": concat("", [year, bounds[n][0]]),
		"end": concat("", [year, bounds[n][1]]),
	}
}

on_sale(p, q) if {
	p.sale_start <= q.end
	object.get(p, "sale_end", null) == null
}

on_sale(p, q) if {
	p.sale_start <= q.end
	end := object.get(p, "sale_end", null)
	end != null
	end >= q.start
}

dedicated contains i if {
	some i, p in input.products
	p.dedicated_inclusive == true
}

quarters_on_sale contains q.name if {
	some q in period_quarters
	some i in dedicated
	on_sale(input.products[i], q)
}

solvency_by_quarter := {s.quarter: s | some s in input.solvency}

solvency_ok(s) if {
	s.core_ratio_pct >= min_core
	s.comprehensive_ratio_pct >= min_comprehensive
	passing_irr[s.irr_class]
}

solvency_fail contains q if {
	some q in quarters_on_sale
	s := solvency_by_quarter[q]
	not solvency_ok(s)
}

solvency_indeterminate contains q if {
	some q in quarters_on_sale
	not solvency_by_quarter[q]
}

size_class := object.get(input.insurer, "size_class", null)

total_assets := object.get(input.insurer, "total_assets_cny", null)

weight := object.get(input.governance, "inclusive_kpi_weight", null)

large if size_class == "large"

large if {
	size_class == null
	total_assets != null
	total_assets >= large_total_assets
}

kpi_fail contains "/governance/inclusive_kpi_weight" if {
	large
	weight != null
	weight < min_weight
}

kpi_indeterminate contains "/insurer" if {
	size_class == null
	total_assets == null
}

kpi_indeterminate contains "/governance/inclusive_kpi_weight" if {
	large
	weight == null
}

comparable(p, field) := v if {
	c := object.get(p, "comparable", null)
	c != null
	v := object.get(c, field, null)
}

comparable(p, _) := null if object.get(p, "comparable", null) == null

premium_fail contains sprintf("/products/%d/premium_rate", [i]) if {
	some i in dedicated
	p := input.products[i]
	theirs := comparable(p, "premium_rate")
	theirs != null
	p.premium_rate >= theirs
}

premium_indeterminate contains sprintf("/products/%d/premium_rate", [i]) if {
	some i in dedicated
	comparable(input.products[i], "premium_rate") == null
}

through_intermediary(p) if {
	some ch in p.channels
	intermediary_channels[ch]
}

fee_fail contains sprintf("/products/%d/intermediary_fee_rate", [i]) if {
	some i in dedicated
	p := input.products[i]
	through_intermediary(p)
	own := object.get(p, "intermediary_fee_rate", null)
	theirs := comparable(p, "intermediary_fee_rate")
	own != null
	theirs != null
	own >= theirs
}

fee_indeterminate contains sprintf("/products/%d/intermediary_fee_rate", [i]) if {
	some i in dedicated
	p := input.products[i]
	through_intermediary(p)
	object.get(p, "intermediary_fee_rate", null) == null
}

fee_indeterminate contains sprintf("/products/%d/intermediary_fee_rate", [i]) if {
	some i in dedicated
	p := input.products[i]
	through_intermediary(p)
	comparable(p, "intermediary_fee_rate") == null
}

counts := {
	"IC19-SOLVENCY-GATE": count(solvency_fail) + count(solvency_indeterminate),
	"IC10-KPI-WEIGHT": count(kpi_fail) + count(kpi_indeterminate),
	"IC08-PREMIUM-RATE": count(premium_fail) + count(premium_indeterminate),
	"IC12-FEE-RATE": count(fee_fail) + count(fee_indeterminate),
}

# The peer: four of inclusive-check's rules written in Rego, for the side-by-side benchmark (bench/market.py).
#
# Same semantics as the SQL rules over a submission document (input), with the ruleset's values
# (rulesets/nfra-2024-inclusive.yaml) written in below. Every rule is in force from 2024-05-29: a submission
# whose period ends before that date gets no findings from these four rules (the engine binds a submission
# by its period's last day). Dispensations are not seen here (the bench market has none), so a waived
# finding of ours would count on this side only.
#   IC19-SOLVENCY-GATE  each quarter of the reporting period in which a dedicated product is on sale on a day
#                       on or after the in-force date: core >= 50, comprehensive >= 100, IRR class A/B (or a
#                       sub-grade); a missing quarter is indeterminate
#   IC10-KPI-WEIGHT     a large insurer (declared, or undeclared with assets >= 500 bn CNY): weight >= 0.05;
#                       unknown size or no weight is indeterminate
#   IC08-PREMIUM-RATE   dedicated product on sale in the period on or after the in-force date:
#                       premium_rate < the comparable's (equal fails), the comparable's rate being its own
#                       filed rate when it is filed in the same document (else the declared one); a rate
#                       missing on either side is indeterminate
#   IC12-FEE-RATE       the same on intermediary_fee_rate, for every dedicated product that states both fees;
#                       one sold through agency/broker/bank (ruleset parameter intermediary_channels: postal
#                       assistance is not an intermediary) must state them: either missing is indeterminate
# `counts` gives, per rule, the failing plus indeterminate subjects: what bench/market.py compares with the
# findings inclusive-check stored; `subjects` names them (a JSON pointer, or for IC19 the quarter, e.g.
# "2025-Q3"), for the per-subject comparison the bench prints when the counts differ.
package inclusive

import rego.v1

# The ruleset's parameters (rulesets/nfra-2024-inclusive.yaml), as in force for these periods.
# IC19-SOLVENCY-GATE.min_core_ratio_pct, min_comprehensive_ratio_pct, passing_irr_grades (irr_condition true).
min_core := 50

min_comprehensive := 100

passing_irr := {"A", "B", "AAA", "AA", "BBB", "BB"}

# IC10-KPI-WEIGHT.min_weight and large_total_assets_cny (size_source declared_then_assets).
min_weight := 0.05

large_total_assets := 500000000000

# IC12-FEE-RATE.intermediary_channels (an interpretation: postal assistance, 协办, pays no intermediary fee).
intermediary_channels := {"agency", "broker", "bank"}

# Every rule's in_force date (all four: 2024-05-29).
in_force := "2024-05-29"

bounds := {
	"1": ["-01-01", "-03-31"],
	"2": ["-04-01", "-06-30"],
	"3": ["-07-01", "-09-30"],
	"4": ["-10-01", "-12-31"],
}

year := substring(input.reporting_period, 0, 4)

quarter_numbers := ["1", "2", "3", "4"] if not contains(input.reporting_period, "-Q")

quarter_numbers := [substring(input.reporting_period, 6, 1)] if contains(input.reporting_period, "-Q")

period_start := concat("", [year, bounds[quarter_numbers[0]][0]])

period_end := concat("", [year, bounds[quarter_numbers[count(quarter_numbers) - 1]][1]])

# The engine binds a submission by its period's last day: before the in-force date no rule applies.
rules_in_force if period_end >= in_force

period_quarters contains q if {
	some n in quarter_numbers
	q := {
		"name": sprintf("%s-Q%s", [year, n]),
		"start": concat("", [year, bounds[n][0]]),
		"end": concat("", [year, bounds[n][1]]),
	}
}

# IC19: on sale on some day of quarter q on or after the in-force date (ic19_solvency_gate.on_sale).
on_sale(p, q) if {
	p.sale_start <= q.end
	q.end >= in_force
	object.get(p, "sale_end", null) == null
}

on_sale(p, q) if {
	p.sale_start <= q.end
	q.end >= in_force
	end := object.get(p, "sale_end", null)
	end != null
	end >= q.start
	end >= in_force
}

# IC19, IC08 and IC12 look at dedicated (专属) products only.
dedicated contains i if {
	some i, p in input.products
	p.dedicated_inclusive == true
}

# IC19: the period's quarters (a year's four, or the one quarter) with a dedicated product on sale.
quarters_on_sale contains q.name if {
	rules_in_force
	some q in period_quarters
	some i in dedicated
	on_sale(input.products[i], q)
}

solvency_by_quarter := {s.quarter: s | some s in input.solvency}

# IC19 passes a quarter on both ratios and the IRR grade.
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

# IC19: a quarter on sale with no solvency figures is indeterminate.
solvency_indeterminate contains q if {
	some q in quarters_on_sale
	not solvency_by_quarter[q]
}

size_class := object.get(input.insurer, "size_class", null)

total_assets := object.get(input.insurer, "total_assets_cny", null)

weight := object.get(input.governance, "inclusive_kpi_weight", null)

# IC10: large when declared so, or when undeclared and total assets reach the line.
large if size_class == "large"

large if {
	size_class == null
	total_assets != null
	total_assets >= large_total_assets
}

# IC10: a large insurer's weight below the minimum fails.
kpi_fail contains "/governance/inclusive_kpi_weight" if {
	rules_in_force
	large
	weight != null
	weight < min_weight
}

# IC10: neither a declared size nor total assets: indeterminate.
kpi_indeterminate contains "/insurer" if {
	rules_in_force
	size_class == null
	total_assets == null
}

# IC10: a large insurer reporting no weight: indeterminate.
kpi_indeterminate contains "/governance/inclusive_kpi_weight" if {
	rules_in_force
	large
	weight == null
}

# IC08 and IC12 (_product_rates.below_comparable) judge a dedicated product only when it is on sale on some
# day of the period on or after the in-force date (base.judged_on_sale): the sale started by the period's
# end, and it has not ended, or it ended on or after both the period's start and the in-force date.
judged contains i if {
	rules_in_force
	some i in dedicated
	p := input.products[i]
	p.sale_start <= period_end
	object.get(p, "sale_end", null) == null
}

judged contains i if {
	rules_in_force
	some i in dedicated
	p := input.products[i]
	p.sale_start <= period_end
	end := object.get(p, "sale_end", null)
	end != null
	end >= period_start
	end >= in_force
}

# The declared comparable's rate (null when no comparable is named or it gives no such rate).
comparable(p, field) := v if {
	c := object.get(p, "comparable", null)
	c != null
	v := object.get(c, field, null)
}

comparable(p, _) := null if object.get(p, "comparable", null) == null

comparable_code(p) := code if {
	c := object.get(p, "comparable", null)
	c != null
	code := c.product_code
}

# The named comparable filed in this document: its first product of that code, by position.
filed_codes := {q.code | some q in input.products}

named_here := {code |
	some i in judged
	code := comparable_code(input.products[i])
	filed_codes[code]
}

first_filed := {code: min([j | some j, q in input.products; q.code == code]) | some code in named_here}

# The comparable's rate: its own filed rate when it is filed here and states one, else the declared one.
theirs(p, field) := v if {
	j := first_filed[comparable_code(p)]
	v := object.get(input.products[j], field, null)
	v != null
} else := comparable(p, field)

# Failing or indeterminate (status fail/indeterminate in below_comparable): a rate missing on either side,
# or own >= theirs (an equal rate fails).
open_rate(p, field) if object.get(p, field, null) == null

open_rate(p, field) if theirs(p, field) == null

open_rate(p, field) if {
	own := object.get(p, field, null)
	other := theirs(p, field)
	own != null
	other != null
	own >= other
}

# Both rates stated (a product that need not state them is judged only then).
both_stated(p, field) if {
	object.get(p, field, null) != null
	theirs(p, field) != null
}

# IC08-PREMIUM-RATE: every judged dedicated product.
premium_open contains sprintf("/products/%d/premium_rate", [i]) if {
	some i in judged
	open_rate(input.products[i], "premium_rate")
}

# IC12-FEE-RATE: judged dedicated products sold through an intermediary channel (base.channel_used), and every
# other judged dedicated product that states both fees.
through_intermediary(p) if {
	some ch in p.channels
	intermediary_channels[ch]
}

fee_open contains sprintf("/products/%d/intermediary_fee_rate", [i]) if {
	some i in judged
	p := input.products[i]
	through_intermediary(p)
	open_rate(p, "intermediary_fee_rate")
}

fee_open contains sprintf("/products/%d/intermediary_fee_rate", [i]) if {
	some i in judged
	p := input.products[i]
	not through_intermediary(p)
	both_stated(p, "intermediary_fee_rate")
	open_rate(p, "intermediary_fee_rate")
}

solvency_open := solvency_fail | solvency_indeterminate

kpi_open := kpi_fail | kpi_indeterminate

subjects := {
	"IC19-SOLVENCY-GATE": solvency_open,
	"IC10-KPI-WEIGHT": kpi_open,
	"IC08-PREMIUM-RATE": premium_open,
	"IC12-FEE-RATE": fee_open,
}

counts := {rule: count(open) | some rule, open in subjects}

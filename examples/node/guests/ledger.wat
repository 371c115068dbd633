;; The node's ledger: `settle` is a typed export, the balance left after
;; paying a fee; paying more than the balance traps (`unreachable`).
(module
  (func (export "settle") (param $balance i64) (param $fee i64) (result i64)
    (if (i64.gt_u (local.get $fee) (local.get $balance)) (then unreachable))
    (i64.sub (local.get $balance) (local.get $fee)))
)

;; The node's job scheduler. Input: one byte n, a member's name of n bytes,
;; then the job's payload. `submit` checks the member's reputation, submits
;; the job to the mesh, anchors the receipt and returns it. `fee` is a typed
;; export: the fee of a payload of `len` bytes for a member of reputation
;; `rep`, max(1, 100 + 2 * len - rep).
(module
  (import "coop" "reputation" (func $reputation (param i64 i64) (result i64)))
  (import "coop" "submit_job" (func $submit_job (param i64 i64 i64) (result i64)))
  (import "coop" "anchor_receipt" (func $anchor (param i64 i64) (result i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $return (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "reputation too low")
  (data (i32.const 32) "already anchored")
  (data (i32.const 64) "no input")
  (data (i32.const 80) "job submitted")

  (func (export "submit")
    (local $len i64) (local $n i64) (local $receipt i64)
    ;; The input at 1024 (at most 32 KiB).
    (call $input (i64.const 0))
    (local.set $len (call $register_len (i64.const 0)))
    (if (i32.or (i64.eqz (local.get $len)) (i64.gt_u (local.get $len) (i64.const 32768)))
      (then (call $panic (i64.const 8) (i64.const 64))))
    (call $read_register (i64.const 0) (i64.const 1024))
    (local.set $n (i64.load8_u (i32.const 1024)))
    ;; Reputation of the member named by bytes 1 ..= n.
    (if (i64.lt_s (call $reputation (i64.const 1025) (local.get $n)) (i64.const 50))
      (then (call $panic (i64.const 18) (i64.const 0))))
    ;; The payload is the rest; the receipt comes back in register 1.
    (local.set $receipt
      (call $submit_job
        (i64.add (i64.const 1025) (local.get $n))
        (i64.sub (i64.sub (local.get $len) (i64.const 1)) (local.get $n))
        (i64.const 1)))
    (call $read_register (i64.const 1) (i64.const 40000))
    (if (i64.eqz (call $anchor (i64.const 40000) (local.get $receipt)))
      (then (call $panic (i64.const 16) (i64.const 32))))
    (call $log (i64.const 13) (i64.const 80))
    (call $return (local.get $receipt) (i64.const 40000)))

  (func (export "fee") (param $len i64) (param $rep i64) (result i64)
    (local $fee i64)
    (local.set $fee
      (i64.sub (i64.add (i64.const 100) (i64.mul (i64.const 2) (local.get $len))) (local.get $rep)))
    (select (local.get $fee) (i64.const 1) (i64.gt_s (local.get $fee) (i64.const 1))))
)

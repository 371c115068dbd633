;; Stack overflow: the deterministic, instrumented stack-height limit.
;;
;; Each defined function costs FRAME_OVERHEAD (4) + its parameters and
;; declared locals + its highest operand-stack height (all values on the
;; stack, every block of the function together). The cost is added at entry,
;; after the function's first basic block has been charged; a height over
;; the limit is a StackOverflow. Every function's cost is in its comment.
(module
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kv")

  ;; Cost 4 (no parameters, locals or operands). Entry block: 1 call.
  (func $plain
    (call $plain))

  ;; Cost 4 + 1 param + 2 operands = 7. Entry block: 3 simple, 1 call.
  (func $ping (param $n i64)
    (call $pong (i64.add (local.get $n) (i64.const 1))))

  ;; Cost 4 + 1 param + 2 locals + 3 operands = 10. Entry block: 5 simple,
  ;; 1 call.
  (func $pong (param $n i64) (local $a i64) (local $b i64)
    (call $ping (i64.add (local.get $n) (i64.mul (local.get $n) (i64.const 3)))))

  ;; Cost 4 + 300 locals + 2 operands = 306. Entry block: 4 simple, 1 call.
  (func $many_locals
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local.set 299 (i64.add (local.get 0) (i64.const 1)))
    (call $many_locals))

  ;; Returns $n by recursing $n times. Cost 4 + 1 param + 2 operands = 7.
  ;; Blocks: entry (local.get, i32.eqz, if: 3 simple); then (i32.const,
  ;; else: 1 simple); else (5 simple, 1 call, end).
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))

  ;; Cost 4. One block: 1 call.
  (func (export "plain")
    (call $plain))

  ;; Cost 4 + 1 operand = 5. One block: 1 simple, 1 call.
  (func (export "mutual")
    (call $ping (i64.const 0)))

  ;; Cost 4. One block: 1 call.
  (func (export "many_locals")
    (call $many_locals))

  ;; Writes k=v, then overflows: the write is not committed.
  ;; Cost 4 + 5 operands = 9. One block: 6 simple, 2 calls.
  (func (export "write_then_overflow")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
    (call $plain))

  ;; Recurses 100 deep and returns 100 as 8 bytes, little-endian.
  ;; Cost 4 + 2 operands = 6. One block: 5 simple, 1 store, 2 calls.
  (func (export "bounded")
    (i64.store (i32.const 8) (i64.extend_i32_u (call $down (i32.const 100))))
    (call $value_return (i64.const 8) (i64.const 8)))
)

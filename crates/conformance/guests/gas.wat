;; Gas: loops, memory.grow and the bulk memory operators, host calls.
;;
;; Code is charged per basic block; a block starts at a function's entry
;; and after every block, loop, if, else, end, br, br_if, br_table, return
;; and unreachable (docs/GAS_MODEL.md). memory.fill, memory.copy and
;; memory.init are charged once more per byte, before their work;
;; memory.grow per page it actually added (ABI 1.1: a failed grow costs its
;; base only). Each export's blocks and their operators are in its comment.
;; Memory: "hello" at 0; the passive segment $d is "0123456789abcdef".
(module
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "time_now" (func $time_now (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (data $d "0123456789abcdef")

  ;; Runs forever: each iteration is one block (4 simple, br).
  (func (export "spin")
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))

  ;; Counts to 1000 and returns the count as 8 bytes, little-endian.
  ;; Blocks: `loop` (0); the body (7 simple, br_if: 8 simple), 1000 times;
  ;; the loop's `end` (0); the rest (5 simple, 1 store, 1 call).
  (func (export "count_1000")
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
    (i64.store (i32.const 8) (i64.extend_i32_u (local.get $i)))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; memory.grow by 2 pages; returns its result (the old size, 1) as 8
  ;; bytes. One block: 5 simple, memory.grow, 1 store, 1 call; then 2 pages.
  (func (export "grow_2")
    (i64.store (i32.const 8) (i64.extend_i32_s (memory.grow (i32.const 2))))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; memory.grow by 2000 pages, past the clamped maximum: -1, and no page
  ;; is charged (ABI 1.1). Same block as grow_2.
  (func (export "grow_2000")
    (i64.store (i32.const 8) (i64.extend_i32_s (memory.grow (i32.const 2000))))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; memory.grow by 0xFFFFFFFF pages: -1, at its base cost (ABI 1.1), far
  ;; from running out of gas. Same block as grow_2.
  (func (export "grow_u32_max")
    (i64.store (i32.const 8) (i64.extend_i32_s (memory.grow (i32.const -1))))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; Grows one page at a time until memory.grow returns -1; returns the
  ;; number of successful grows as 8 bytes.
  ;; Blocks: `block` (0); `loop` (0); the test (3 simple, memory.grow,
  ;; br_if: 4 simple and memory.grow), once per grow; the count (4 simple,
  ;; br: 5 simple), once per successful grow; the loop's and the block's
  ;; `end` (0); the rest (4 simple, 1 store, 1 call).
  (func (export "grow_until_full")
    (local $n i64)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $n (i64.add (local.get $n) (i64.const 1)))
        (br $l)))
    (i64.store (i32.const 8) (local.get $n))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; Finds the first "l" of "hello" (index 2) and returns its index as 8
  ;; bytes: the loop is left by a br_if in the middle of an iteration.
  ;; Blocks: `block` (0); `loop` (0); the test (3 simple, 1 load, br_if:
  ;; 4 simple and a load), 3 times; the step (4 simple, br: 5 simple),
  ;; twice; the block's `end` (0); the rest (5 simple, 1 store, 1 call).
  (func (export "find_l")
    (local $i i32)
    (block $found
      (loop $scan
        (br_if $found (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x6c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i64.store (i32.const 8) (i64.extend_i32_u (local.get $i)))
    (call $value_return (i64.const 8) (i64.const 8)))

  ;; The same search, with nothing after the loop: the iteration that
  ;; leaves it is the last code that runs. Blocks: as find_l, without the
  ;; rest.
  (func (export "find_l_only")
    (local $i i32)
    (block $found
      (loop $scan
        (br_if $found (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x6c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan))))

  ;; Fills 100..110 with "a" and returns those 10 bytes.
  ;; One block: 5 simple, memory.fill, 1 call; then 10 bytes.
  (func (export "fill")
    (memory.fill (i32.const 100) (i32.const 0x61) (i32.const 10))
    (call $value_return (i64.const 10) (i64.const 100)))

  ;; Copies "hello" from 0 to 100 and returns those 5 bytes.
  ;; One block: 5 simple, memory.copy, 1 call; then 5 bytes.
  (func (export "copy")
    (memory.copy (i32.const 100) (i32.const 0) (i32.const 5))
    (call $value_return (i64.const 5) (i64.const 100)))

  ;; Copies "2345" (offset 2 of $d) to 100 and returns those 4 bytes.
  ;; One block: 5 simple, memory.init, 1 call; then 4 bytes.
  (func (export "init")
    (memory.init $d (i32.const 100) (i32.const 2) (i32.const 4))
    (call $value_return (i64.const 4) (i64.const 100)))

  ;; Fills the whole first page. One block: 3 simple, memory.fill; then
  ;; 65536 bytes.
  (func (export "big_fill")
    (memory.fill (i32.const 0) (i32.const 0xff) (i32.const 65536)))

  ;; Fills 1000 bytes from 65000, past the end of the first page: the bytes
  ;; are charged before the work, which traps (and the trap uses all the
  ;; gas, ABI 1.1). Same block as big_fill.
  (func (export "fill_out_of_bounds")
    (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))

  ;; Calls time_now until the gas runs out. Per iteration, one block
  ;; (1 call, 1 simple for the drop, br) and time_now's base cost.
  (func (export "time_forever")
    (loop $l
      (drop (call $time_now))
      (br $l)))

  ;; Writes key "h" = value "e" (from memory), then runs forever: the
  ;; write is not committed.
  (func (export "write_then_spin")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
    (loop $l (br $l)))
)

;; Metering benchmark kernel: a CoreMark-like integer workload.
;;
;; Each of 400 iterations runs the three CoreMark kernels
;; and folds their results into a CRC-16, as CoreMark does:
;;
;; * list: a 256-node linked list in memory is searched, reversed in place,
;;   and walked, CRC-ing and rewriting every node (loads, stores, pointer
;;   chasing, data-dependent branches, two calls per node);
;; * matrix: a 24x24 i32 matrix product, CoreMark's clipped sum over the
;;   result, and an update of the left operand (nested loops, multiplies,
;;   loads and stores);
;; * state: a state machine scanning 1 KiB of text for numbers, with a
;;   `br_table` dispatch on the state per character (short blocks, many
;;   branches), then a perturbation of the text.
;;
;; The CRC is CoreMark's bit-serial `crcu8`, called through `crcu16`: small
;; functions called very often, so call overhead is part of the mix.
;; `main` returns the CRC and the random state (8 bytes) with `value_return`.
;;
;; Memory layout:
;;   0      output (8 bytes)
;;   1024   the list: 256 nodes of (next: i32 address, 0 = end; data: i32)
;;   4096   matrix A, 8192 matrix B, 12288 matrix C (24 x 24 i32 each)
;;   16384  the text, 1024 bytes
;;   17408  the state machine's per-state counters (8 x i32)
;;   17440  the character set the text is drawn from (16 bytes)
(module
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 17440) "0123456789+-.e,x")
  (global $seed (mut i32) (i32.const 0x2545f491))
  (global $head (mut i32) (i32.const 1024))

  ;; xorshift32.
  (func $rand (result i32)
    (local $x i32)
    (local.set $x (global.get $seed))
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
    (global.set $seed (local.get $x))
    (local.get $x))

  ;; CoreMark's crcu8: the CRC-16 (polynomial 0xA001) of one byte.
  (func $crcu8 (param $data i32) (param $crc i32) (result i32)
    (local $i i32)
    (loop $bits
      (if (i32.and (i32.xor (local.get $data) (local.get $crc)) (i32.const 1))
        (then
          (local.set $crc
            (i32.or
              (i32.shr_u (i32.xor (local.get $crc) (i32.const 0x4002)) (i32.const 1))
              (i32.const 0x8000))))
        (else
          (local.set $crc (i32.and (i32.shr_u (local.get $crc) (i32.const 1)) (i32.const 0x7fff)))))
      (local.set $data (i32.shr_u (local.get $data) (i32.const 1)))
      (br_if $bits (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 8))))
    (local.get $crc))

  (func $crcu16 (param $v i32) (param $crc i32) (result i32)
    (call $crcu8
      (i32.and (i32.shr_u (local.get $v) (i32.const 8)) (i32.const 0xff))
      (call $crcu8 (i32.and (local.get $v) (i32.const 0xff)) (local.get $crc))))

  (func $init
    (local $i i32) (local $p i32)
    ;; The list, in address order.
    (local.set $p (i32.const 1024))
    (loop $nodes
      (i32.store (local.get $p)
        (select (i32.const 0) (i32.add (local.get $p) (i32.const 8))
          (i32.eq (local.get $p) (i32.const 3064))))
      (i32.store offset=4 (local.get $p) (i32.and (call $rand) (i32.const 0xffff)))
      (br_if $nodes
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (i32.const 3072))))
    ;; A: small signed values, B: small unsigned ones.
    (local.set $p (i32.const 0))
    (loop $matrices
      (i32.store offset=4096 (local.get $p)
        (i32.sub (i32.and (call $rand) (i32.const 0xff)) (i32.const 128)))
      (i32.store offset=8192 (local.get $p) (i32.and (call $rand) (i32.const 0xff)))
      (br_if $matrices
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 2304))))
    ;; The text: characters of the set.
    (local.set $p (i32.const 0))
    (loop $text
      (i32.store8 offset=16384 (local.get $p)
        (i32.load8_u offset=17440 (i32.and (call $rand) (i32.const 15))))
      (br_if $text
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 1024)))))

  ;; Search, reverse, walk and rewrite the list.
  (func $list_work (param $iter i32) (result i32)
    (local $p i32) (local $prev i32) (local $next i32) (local $found i32) (local $crc i32)
    (local $d i32)
    ;; Count the nodes whose low nibble matches the iteration's.
    (local.set $p (global.get $head))
    (loop $find
      (if (i32.eq
            (i32.and (i32.load offset=4 (local.get $p)) (i32.const 15))
            (i32.and (local.get $iter) (i32.const 15)))
        (then (local.set $found (i32.add (local.get $found) (i32.const 1)))))
      (br_if $find (local.tee $p (i32.load (local.get $p)))))
    ;; Reverse in place.
    (local.set $p (global.get $head))
    (local.set $prev (i32.const 0))
    (loop $reverse
      (local.set $next (i32.load (local.get $p)))
      (i32.store (local.get $p) (local.get $prev))
      (local.set $prev (local.get $p))
      (br_if $reverse (local.tee $p (local.get $next))))
    (global.set $head (local.get $prev))
    ;; CRC every node's data, then rewrite it.
    (local.set $p (local.get $prev))
    (local.set $crc (local.get $found))
    (loop $walk
      (local.set $d (i32.load offset=4 (local.get $p)))
      (local.set $crc (call $crcu16 (local.get $d) (local.get $crc)))
      (i32.store offset=4 (local.get $p)
        (i32.and
          (i32.add (i32.mul (local.get $d) (i32.const 0x9e37)) (local.get $iter))
          (i32.const 0xffff)))
      (br_if $walk (local.tee $p (i32.load (local.get $p)))))
    (local.get $crc))

  ;; C = A * B, CoreMark's clipped sum of C, then A updated from C.
  (func $matrix_work (param $iter i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $acc i32)
    (local $ra i32) (local $cb i32)
    (local $tmp i32) (local $prev i32) (local $cur i32) (local $ret i32)
    ;; i and j are byte offsets of a row and a column; k counts.
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $acc (i32.const 0))
        (local.set $ra (local.get $i))
        (local.set $cb (local.get $j))
        (local.set $k (i32.const 0))
        (loop $dot
          (local.set $acc
            (i32.add (local.get $acc)
              (i32.mul
                (i32.load offset=4096 (local.get $ra))
                (i32.load offset=8192 (local.get $cb)))))
          (local.set $ra (i32.add (local.get $ra) (i32.const 4)))
          (local.set $cb (i32.add (local.get $cb) (i32.const 96)))
          (br_if $dot
            (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 24))))
        (i32.store offset=12288 (i32.add (local.get $i) (local.get $j)) (local.get $acc))
        (br_if $cols
          (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (i32.const 96))))
      (br_if $rows
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 96))) (i32.const 2304))))
    ;; The clipped sum, and A := ((A + (C >> 10) + iter) & 0xff) - 128.
    (local.set $i (i32.const 0))
    (loop $sum
      (local.set $cur (i32.load offset=12288 (local.get $i)))
      (local.set $tmp (i32.add (local.get $tmp) (local.get $cur)))
      (if (i32.gt_s (local.get $tmp) (i32.const 0x40000))
        (then
          (local.set $ret (i32.add (local.get $ret) (i32.const 10)))
          (local.set $tmp (i32.const 0)))
        (else
          (local.set $ret
            (i32.add (local.get $ret) (i32.gt_s (local.get $cur) (local.get $prev))))))
      (local.set $prev (local.get $cur))
      (i32.store offset=4096 (local.get $i)
        (i32.sub
          (i32.and
            (i32.add
              (i32.add (i32.load offset=4096 (local.get $i)) (i32.shr_s (local.get $cur) (i32.const 10)))
              (local.get $iter))
            (i32.const 0xff))
          (i32.const 128)))
      (br_if $sum
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 2304))))
    (local.get $ret))

  ;; CoreMark's number-recognising state machine over the text.
  ;; States: 0 start, 1 sign, 2 int, 3 float, 4 exp, 5 exp sign,
  ;; 6 scientific, 7 invalid. A ',' ends a token: the final state is
  ;; counted and the machine restarts.
  (func $state_work (param $iter i32) (result i32)
    (local $p i32) (local $c i32) (local $state i32) (local $next i32)
    (local $digit i32) (local $transitions i32) (local $crc i32) (local $addr i32)
    (loop $scan
      (local.set $c (i32.load8_u offset=16384 (local.get $p)))
      (local.set $digit (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
      (if (i32.eq (local.get $c) (i32.const 44))
        (then
          (local.set $addr (i32.add (i32.const 17408) (i32.shl (local.get $state) (i32.const 2))))
          (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
          (local.set $next (i32.const 0)))
        (else
          (block $done
            (block $invalid
              (block $scientific
                (block $expsign
                  (block $exp
                    (block $float
                      (block $int
                        (block $sign
                          (block $start
                            (br_table $start $sign $int $float $exp $expsign $scientific $invalid
                              (local.get $state)))
                          ;; start
                          (local.set $next
                            (if (result i32) (local.get $digit)
                              (then (i32.const 2))
                              (else
                                (if (result i32)
                                    (i32.or (i32.eq (local.get $c) (i32.const 43))
                                            (i32.eq (local.get $c) (i32.const 45)))
                                  (then (i32.const 1))
                                  (else
                                    (select (i32.const 3) (i32.const 7)
                                      (i32.eq (local.get $c) (i32.const 46))))))))
                          (br $done))
                        ;; sign
                        (local.set $next
                          (if (result i32) (local.get $digit)
                            (then (i32.const 2))
                            (else
                              (select (i32.const 3) (i32.const 7)
                                (i32.eq (local.get $c) (i32.const 46))))))
                        (br $done))
                      ;; int
                      (local.set $next
                        (if (result i32) (local.get $digit)
                          (then (i32.const 2))
                          (else
                            (if (result i32) (i32.eq (local.get $c) (i32.const 46))
                              (then (i32.const 3))
                              (else
                                (select (i32.const 4) (i32.const 7)
                                  (i32.eq (local.get $c) (i32.const 101))))))))
                      (br $done))
                    ;; float
                    (local.set $next
                      (if (result i32) (local.get $digit)
                        (then (i32.const 3))
                        (else
                          (select (i32.const 4) (i32.const 7)
                            (i32.eq (local.get $c) (i32.const 101))))))
                    (br $done))
                  ;; exp
                  (local.set $next
                    (if (result i32)
                        (i32.or (i32.eq (local.get $c) (i32.const 43))
                                (i32.eq (local.get $c) (i32.const 45)))
                      (then (i32.const 5))
                      (else (select (i32.const 6) (i32.const 7) (local.get $digit)))))
                  (br $done))
                ;; exp sign
                (local.set $next (select (i32.const 6) (i32.const 7) (local.get $digit)))
                (br $done))
              ;; scientific
              (local.set $next (select (i32.const 6) (i32.const 7) (local.get $digit)))
              (br $done))
            ;; invalid
            (local.set $next (i32.const 7)))))
      (if (i32.ne (local.get $next) (local.get $state))
        (then (local.set $transitions (i32.add (local.get $transitions) (i32.const 1)))))
      (local.set $state (local.get $next))
      (br_if $scan
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (i32.const 1024))))
    ;; Count the last token, CRC the counters and the transitions.
    (local.set $addr (i32.add (i32.const 17408) (i32.shl (local.get $state) (i32.const 2))))
    (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1)))
    (local.set $crc (call $crcu16 (local.get $transitions) (i32.const 0)))
    (local.set $p (i32.const 17408))
    (loop $counts
      (local.set $crc (call $crcu16 (i32.load (local.get $p)) (local.get $crc)))
      (br_if $counts
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 17440))))
    ;; Perturb every 16th character, from an offset that moves each iteration.
    (local.set $p (i32.and (local.get $iter) (i32.const 15)))
    (loop $perturb
      (i32.store8 offset=16384 (local.get $p)
        (i32.xor (i32.load8_u offset=16384 (local.get $p)) (i32.const 1)))
      (br_if $perturb
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (i32.const 1024))))
    (local.get $crc))

  (func (export "main")
    (local $iter i32) (local $crc i32)
    (call $init)
    (loop $iterations
      (local.set $crc (call $crcu16 (call $list_work (local.get $iter)) (local.get $crc)))
      (local.set $crc (call $crcu16 (call $matrix_work (local.get $iter)) (local.get $crc)))
      (local.set $crc (call $crcu16 (call $state_work (local.get $iter)) (local.get $crc)))
      (br_if $iterations
        (i32.lt_u (local.tee $iter (i32.add (local.get $iter) (i32.const 1))) (i32.const 400))))
    (i32.store (i32.const 0) (local.get $crc))
    (i32.store (i32.const 4) (global.get $seed))
    (call $value_return (i64.const 8) (i64.const 0))))

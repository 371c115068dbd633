;; Metering benchmark kernel: SHA-256 compression over a buffer.
;;
;; `main` fills a 16 KiB buffer with xorshift32 bytes, pads it as SHA-256
;; does, and hashes it 192 times, each time writing the previous
;; digest over the first 32 bytes of the message, so every round depends on
;; the one before. It returns the final 32-byte digest with `value_return`.
;;
;; `selftest` hashes the buffer once and compares the digest with the host's
;; `sha256`; it panics on a mismatch and otherwise returns the digest. The
;; benchmark calls it once to check the kernel is real SHA-256.
;;
;; Pure 32-bit integer work: rotates, xors, adds, loads and stores, in long
;; basic blocks (one round of the compression is one block).
;;
;; Memory layout:
;;   0    K, the 64 round constants (little-endian words)
;;   256  W, the message schedule (64 words)
;;   512  H, the hash state (8 words)
;;   544  OUT, the digest (32 bytes, big-endian words)
;;   576  HOST, the host's digest (selftest)
;;   608  "sha256 mismatch"
;;   1024 BUF, the message: 16384 bytes + 64 bytes of padding
(module
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "sha256" (func $host_sha256 (param i64 i64 i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0)
    "\98\2f\8a\42\91\44\37\71\cf\fb\c0\b5\a5\db\b5\e9"
    "\5b\c2\56\39\f1\11\f1\59\a4\82\3f\92\d5\5e\1c\ab"
    "\98\aa\07\d8\01\5b\83\12\be\85\31\24\c3\7d\0c\55"
    "\74\5d\be\72\fe\b1\de\80\a7\06\dc\9b\74\f1\9b\c1"
    "\c1\69\9b\e4\86\47\be\ef\c6\9d\c1\0f\cc\a1\0c\24"
    "\6f\2c\e9\2d\aa\84\74\4a\dc\a9\b0\5c\da\88\f9\76"
    "\52\51\3e\98\6d\c6\31\a8\c8\27\03\b0\c7\7f\59\bf"
    "\f3\0b\e0\c6\47\91\a7\d5\51\63\ca\06\67\29\29\14"
    "\85\0a\b7\27\38\21\1b\2e\fc\6d\2c\4d\13\0d\38\53"
    "\54\73\0a\65\bb\0a\6a\76\2e\c9\c2\81\85\2c\72\92"
    "\a1\e8\bf\a2\4b\66\1a\a8\70\8b\4b\c2\a3\51\6c\c7"
    "\19\e8\92\d1\24\06\99\d6\85\35\0e\f4\70\a0\6a\10"
    "\16\c1\a4\19\08\6c\37\1e\4c\77\48\27\b5\bc\b0\34"
    "\b3\0c\1c\39\4a\aa\d8\4e\4f\ca\9c\5b\f3\6f\2e\68"
    "\ee\82\8f\74\6f\63\a5\78\14\78\c8\84\08\02\c7\8c"
    "\fa\ff\be\90\eb\6c\50\a4\f7\a3\f9\be\f2\78\71\c6")
  (data (i32.const 608) "sha256 mismatch")

  ;; Fills BUF with 16384 xorshift32 bytes and appends the SHA-256 padding
  ;; (0x80, zeros, the bit length 131072 as a big-endian u64).
  (func $fill_and_pad
    (local $p i32) (local $x i32)
    (local.set $x (i32.const 0x9e3779b9))
    (local.set $p (i32.const 1024))
    (loop $fill
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (i32.store (local.get $p) (local.get $x))
      (br_if $fill
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 17408))))
    ;; p = 17408 = BUF + 16384: the padding block.
    (i32.store (local.get $p) (i32.const 0x80))
    (loop $zero
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (i32.store (local.get $p) (i32.const 0))
      (br_if $zero (i32.lt_u (local.get $p) (i32.const 17464))))
    ;; 131072 bits = 0x00020000, big-endian in the last four bytes.
    (i32.store (i32.const 17468) (i32.const 0x00000200)))

  ;; One SHA-256 compression of the 64-byte block at $p into H.
  (func $compress (param $p i32)
    (local $t i32) (local $x i32) (local $t1 i32) (local $t2 i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    ;; W[0..16]: the block's big-endian words.
    (loop $load
      (local.set $x (i32.load (i32.add (local.get $p) (local.get $t))))
      (i32.store offset=256 (local.get $t)
        (i32.or
          (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
          (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))
      (br_if $load
        (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 4))) (i32.const 64))))
    ;; W[16..64] (t is a byte offset: W[t-15] is at 256 + t - 60, and so on).
    (loop $schedule
      (local.set $x (i32.load offset=196 (local.get $t)))
      (local.set $t1
        (i32.xor
          (i32.xor (i32.rotr (local.get $x) (i32.const 7)) (i32.rotr (local.get $x) (i32.const 18)))
          (i32.shr_u (local.get $x) (i32.const 3))))
      (local.set $x (i32.load offset=248 (local.get $t)))
      (local.set $t2
        (i32.xor
          (i32.xor (i32.rotr (local.get $x) (i32.const 17)) (i32.rotr (local.get $x) (i32.const 19)))
          (i32.shr_u (local.get $x) (i32.const 10))))
      (i32.store offset=256 (local.get $t)
        (i32.add
          (i32.add (local.get $t1) (local.get $t2))
          (i32.add (i32.load offset=228 (local.get $t)) (i32.load offset=192 (local.get $t)))))
      (br_if $schedule
        (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 4))) (i32.const 256))))
    (local.set $a (i32.load (i32.const 512)))
    (local.set $b (i32.load (i32.const 516)))
    (local.set $c (i32.load (i32.const 520)))
    (local.set $d (i32.load (i32.const 524)))
    (local.set $e (i32.load (i32.const 528)))
    (local.set $f (i32.load (i32.const 532)))
    (local.set $g (i32.load (i32.const 536)))
    (local.set $h (i32.load (i32.const 540)))
    (local.set $t (i32.const 0))
    (loop $round
      ;; t1 = h + S1(e) + ch(e, f, g) + K[t] + W[t]
      (local.set $t1
        (i32.add
          (i32.add
            (i32.add
              (local.get $h)
              (i32.xor
                (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
                (i32.rotr (local.get $e) (i32.const 25))))
            (i32.xor
              (i32.and (local.get $e) (local.get $f))
              (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g))))
          (i32.add (i32.load (local.get $t)) (i32.load offset=256 (local.get $t)))))
      ;; t2 = S0(a) + maj(a, b, c)
      (local.set $t2
        (i32.add
          (i32.xor
            (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
            (i32.rotr (local.get $a) (i32.const 22)))
          (i32.xor
            (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.and (local.get $a) (local.get $c)))
            (i32.and (local.get $b) (local.get $c)))))
      (local.set $h (local.get $g))
      (local.set $g (local.get $f))
      (local.set $f (local.get $e))
      (local.set $e (i32.add (local.get $d) (local.get $t1)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (i32.add (local.get $t1) (local.get $t2)))
      (br_if $round
        (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 4))) (i32.const 256))))
    (i32.store (i32.const 512) (i32.add (i32.load (i32.const 512)) (local.get $a)))
    (i32.store (i32.const 516) (i32.add (i32.load (i32.const 516)) (local.get $b)))
    (i32.store (i32.const 520) (i32.add (i32.load (i32.const 520)) (local.get $c)))
    (i32.store (i32.const 524) (i32.add (i32.load (i32.const 524)) (local.get $d)))
    (i32.store (i32.const 528) (i32.add (i32.load (i32.const 528)) (local.get $e)))
    (i32.store (i32.const 532) (i32.add (i32.load (i32.const 532)) (local.get $f)))
    (i32.store (i32.const 536) (i32.add (i32.load (i32.const 536)) (local.get $g)))
    (i32.store (i32.const 540) (i32.add (i32.load (i32.const 540)) (local.get $h))))

  ;; SHA-256 of the padded buffer into OUT.
  (func $hash_buffer
    (local $p i32) (local $x i32)
    (i32.store (i32.const 512) (i32.const 0x6a09e667))
    (i32.store (i32.const 516) (i32.const 0xbb67ae85))
    (i32.store (i32.const 520) (i32.const 0x3c6ef372))
    (i32.store (i32.const 524) (i32.const 0xa54ff53a))
    (i32.store (i32.const 528) (i32.const 0x510e527f))
    (i32.store (i32.const 532) (i32.const 0x9b05688c))
    (i32.store (i32.const 536) (i32.const 0x1f83d9ab))
    (i32.store (i32.const 540) (i32.const 0x5be0cd19))
    (local.set $p (i32.const 1024))
    (loop $blocks
      (call $compress (local.get $p))
      (br_if $blocks
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (i32.const 17472))))
    ;; OUT = H as big-endian words.
    (local.set $p (i32.const 0))
    (loop $out
      (local.set $x (i32.load offset=512 (local.get $p)))
      (i32.store offset=544 (local.get $p)
        (i32.or
          (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
          (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))
      (br_if $out
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 32)))))

  (func (export "main")
    (local $round i32) (local $p i32)
    (call $fill_and_pad)
    (loop $rounds
      (call $hash_buffer)
      ;; The digest becomes the start of the next round's message.
      (local.set $p (i32.const 0))
      (loop $chain
        (i32.store offset=1024 (local.get $p) (i32.load offset=544 (local.get $p)))
        (br_if $chain
          (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 32))))
      (br_if $rounds
        (i32.lt_u (local.tee $round (i32.add (local.get $round) (i32.const 1))) (i32.const 192))))
    (call $value_return (i64.const 32) (i64.const 544)))

  (func (export "selftest")
    (local $p i32)
    (call $fill_and_pad)
    (call $hash_buffer)
    (call $host_sha256 (i64.const 16384) (i64.const 1024) (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 576))
    (loop $cmp
      (if (i32.ne (i32.load offset=544 (local.get $p)) (i32.load offset=576 (local.get $p)))
        (then (call $panic (i64.const 15) (i64.const 608))))
      (br_if $cmp
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 32))))
    (call $value_return (i64.const 32) (i64.const 544))))

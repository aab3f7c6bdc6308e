# diag: English. What is wrong in a scenario file, and what to do about it: the problems
# `pagewalk check` prints as FILE:LINE:COLUMN: message and the web app's editor shows at
# their line and column. Keys, values, numbers and file names the file has are variables.

## The frame of a problem

diag-with-hint = {$message} (hint: {$hint})
diag-hint = hint: {$hint}

## What a table is called

diag-what-file = the file
diag-what-table = [{$table}]
diag-what-entry = [[{$table}]] #{$n}

## Values of the wrong kind

diag-type-string = a string
diag-type-integer = an integer
diag-type-float = a float
diag-type-boolean = a boolean
diag-type-date = a date
diag-type-array = an array
diag-type-table = a table
diag-want-bool = true or false
diag-want-address = an address string like "0x7fff_0000_1000"
diag-want-size = a size like "2M"
diag-want-tables = an array of tables ([[...]])
diag-wrong-type = `{$key}` in {$what} must be {$want}, not {$got}
diag-missing = {$what} needs `{$key}`
diag-int-range = `{$key}` must be between {$min} and {$max}
diag-key-problem = `{$key}`: {$problem}
diag-cannot-be = `{$key}` cannot be "{$value}"
diag-did-you-mean-value = did you mean "{$value}"?
diag-did-you-mean-key = did you mean `{$key}`?
diag-choose-one = choose one of: {$options}
diag-entry-not-table = each `{$key}` entry must be a table
diag-hint-entries = write entries as [[{$key}]] sections
diag-known-keys = known keys here: {$keys}
diag-unknown-key = unknown key `{$key}` in {$what}
diag-zero = `{$key}` must not be 0

## Numbers, sizes and flags

diag-address-negative = an address cannot be negative
diag-size-negative = a size cannot be negative
diag-hint-address = write addresses as strings like "0x7fff_0000_1000"
diag-hint-size = sizes are written like "4K", "2M", "28MiB" or a number of bytes
diag-not-a-number = `{$text}` is not a number
diag-too-big-64 = `{$text}` does not fit in 64 bits
diag-unknown-unit = unknown size unit `{$unit}` in `{$text}`
diag-not-a-size = `{$text}` is not a size
diag-size-too-large = `{$text}` is too large
diag-unknown-flag-did-you-mean = unknown flag `{$flag}`; did you mean `{$name}`?
diag-unknown-flag = unknown flag `{$flag}`; flags are {$flags}
diag-hint-npt-flags = NPT entries use the IA-32e names: PRESENT | WRITABLE | USER | ACCESSED | DIRTY
diag-hint-ept-flags = EPT entries use READ | WRITE | EXECUTE | MEMTYPE0..2 | IGNORE_PAT | ACCESSED | DIRTY

## The file as a whole

diag-file-too-big = the file is {$size} bytes; scenario files may be at most {$max}
diag-hint-patterns = describe long traces with patterns (sequential, strided, random, working_set)
diag-file-over-limit = the file is larger than the limit of {$limit} bytes
diag-hint-file-over-limit = a scenario file describes a machine and a trace; patterns (`strided`, `random`, `working_set`) keep long traces short
diag-directory = this is a directory, not a scenario file
diag-hint-directory = name a .toml file
diag-cannot-read = cannot read the file: {$error}
diag-hint-cannot-read = check the path
diag-not-utf8 = the file is not UTF-8 text (bad byte at offset {$offset})
diag-hint-not-utf8 = scenario files are TOML text
diag-hint-toml = this is not valid TOML
diag-schema-unsupported = schema {$version} is not supported
diag-hint-schema = this pagewalk reads schema = {$schema}
diag-hint-schema-missing = start the file with `schema = 1`
diag-hint-name = add `name = "..."`: the title shown in the gallery
diag-hint-lesson = add `lesson = "..."`: the one idea this scenario teaches

## The machine

diag-tlb-geometry = `{$key}` must be "SETSxWAYS", like "16x4", with 1..4096 sets and 1..32 ways
diag-hint-tlb-geometry = "0x0" removes the array; an array of 0 sets or 0 ways holds nothing
diag-guest-ram = `guest_ram` must be 64 MiB to 64 GiB, in 2 MiB steps
diag-hint-guest-ram = for example guest_ram = "4G"
diag-machine-error = {$error}
diag-hint-max-frames = raise `machine.max_frames`, or map less
diag-hint-overlap = two mappings cover the same address; move or shrink one
diag-hint-pool-full = the guest page-table area (GPA 1-16 MiB) is full: map less
diag-hint-no-entry = map the address first, so the tables above the entry exist
diag-hint-check-addresses = check the addresses of this item
diag-too-much-work = this run would do about {$work} units of work (about a nanosecond each here), more than `machine.max_work` = {$limit}
diag-hint-too-much-work = every action costs up to {$per_access} (walks and paging-structure-cache lookups) and every flush {$slots} (the TLB's slots): shorten the trace, shrink the TLB or the caches, or raise `machine.max_work` (at most {$max})
diag-work-budget-used = the run used its work budget (`machine.max_work` = {$limit}) after {$done} actions
diag-hint-work-budget-used = TLB flushes of a large TLB cost its size each: shrink the TLB or the trace, or raise `machine.max_work`
diag-hint-cannot-run = this trace entry cannot run on this machine

## The host

diag-needs-nested = [[{$table}]] needs an `ept` or `npt` machine
diag-hint-needs-nested = stage-2 tables exist only under EPT and NPT
diag-hint-host-map-gpa = the first guest-physical address to map
diag-hint-mergeable-gpa = the first guest-physical address marked MADV_MERGEABLE
diag-hint-bytes = how many bytes, like "256K"
diag-native-no-host-side = a native machine has no VMs and no host side
diag-native-no-host = a native machine has no host below it
diag-native-no-exits = a native machine has no VM exits
diag-hint-use-virtual = use mode = "ept", "npt" or "shadow"

## Mappings and edits

diag-unaligned = `{$key}` {$addr} is not aligned to its {$page} pages
diag-size-not-pages = `size` {$size} is not a whole number of {$page} pages
diag-hint-multiple = use a multiple of {$size}
diag-range-overflows = `{$key}` + `size` overflows 64 bits
diag-hint-map-gva = the first linear address to map
diag-hint-map-gpa = the first guest-physical address it maps to
diag-not-canonical = {$from}..{$to} is not canonical for {$levels}-level paging
diag-hint-canonical = the upper bits must copy bit 47 (4-level) or bit 56 (5-level)
diag-beyond-ram = guest-physical {$from}..{$to} is beyond guest RAM ({$ram} bytes)
diag-hint-beyond-ram = use a smaller gpa, or raise `machine.guest_ram`
diag-space-twice = two address spaces are named "{$name}"
diag-hint-space-twice = give each [[space]] its own name
diag-too-many-pages = the mappings make {$pages} pages; the limit is {$limit}
diag-hint-map-less = map less, or use larger pages
diag-hint-edit-addr = the address whose path holds the entry to edit
diag-hint-level = 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E
diag-edit-needs-value = an edit needs `raw`, `addr` (with `flags`), or `set`/`clear`
diag-hint-edit-value = for example set = "NO_EXECUTE" or clear = "PRESENT"

## The trace

diag-too-many-actions = the trace has {$total} actions; the limit is {$limit}
diag-hint-max-actions = shorten the trace, or raise `machine.max_actions` (at most {$max})
diag-hint-one-of = one of: {$options}
diag-unknown-op = unknown op "{$op}"
diag-hint-ops = ops are: {$ops}
diag-hint-space-name = the name of the [[space]] to load
diag-no-space = there is no address space named "{$name}"
diag-hint-spaces = spaces: {$spaces}
diag-hint-spaces-more = spaces: {$spaces} and {$more} more
diag-hint-access-gva = the linear address to access
diag-hint-start = the first address
diag-hint-length = how many bytes to cover, like "28MiB"
diag-hint-stride = the distance between accesses, like "4K"
diag-hint-count-pass = how many accesses per pass
diag-hint-region-start = the first address of the region
diag-hint-region-span = the size of the region, like "28MiB"
diag-hint-count = how many accesses
diag-hint-set-pages = how many addresses in the set
diag-hint-invlpg = the address to invalidate
diag-hint-invpcid-type = 0 one address, 1 one PCID, 2 all with globals, 3 all but globals
diag-hint-invvpid-type = 0 one address, 1 one VPID, 2 all VPIDs, 3 one VPID but globals
diag-invept-needs-ept = INVEPT needs an `ept` machine
diag-hint-invept-type = 1 single-context, 2 global
diag-hint-pte-write-gva = the address whose path holds the entry
diag-pte-write-needs-value = a pte_write needs `raw`, `addr` (with `flags`), or `set`/`clear`
diag-hint-pte-write-value = for example addr = "0x4000_5000" with flags = "PRESENT | WRITABLE | USER"
diag-hint-fill-gva = the first page to fill
diag-hint-fill-pattern = a number written to every word, or "distinct"
diag-fill-unaligned = `gva` of a fill must be 4 KiB aligned
diag-hint-fill-unaligned = a fill writes whole pages
diag-hint-swap-gpa = the first guest-physical address to swap out
diag-hint-balloon-gpa = the first guest-physical page the balloon takes
diag-hint-pages = how many 4 KiB pages

## Expectations

diag-no-counter = there is no counter "{$counter}"
diag-hint-counters = counters: {$counters}
diag-hint-counter = the counter to check, like "memory_refs"
diag-min-above-max = `min` {$min} is above `max` {$max}
diag-equals-and-range = use either `equals` or `min`/`max`, not both
diag-hint-equals-and-range = equals = 24, or min = 20 and max = 30
diag-expect-needs-value = an expectation needs `equals`, or `min` and/or `max`
diag-hint-expect-value = for example equals = 24

## TOML syntax: the parser's words (toml_parser), each exactly as it writes them, so that
## a message it gives is recognised; one it gives that is not here is shown as it is.

diag-toml = {$problem}
diag-toml-expected = {$problem}, expected {$expected}
diag-toml-duplicate-key = duplicate key
diag-toml-invalid-basic-string = invalid basic string
diag-toml-invalid-binary-number = invalid binary number
diag-toml-invalid-boolean = invalid boolean
diag-toml-invalid-comment-character = invalid comment character
diag-toml-invalid-date-time = invalid date-time
diag-toml-invalid-exponent = invalid exponent
diag-toml-invalid-float = invalid float
diag-toml-invalid-fraction = invalid fraction
diag-toml-invalid-hexadecimal-number = invalid hexadecimal number
diag-toml-invalid-inline-table-element = invalid inline table element
diag-toml-invalid-integer-number = invalid integer number
diag-toml-invalid-key = invalid key
diag-toml-invalid-key-value-pair = invalid key-value pair
diag-toml-invalid-literal-string = invalid literal string
diag-toml-invalid-mantissa = invalid mantissa
diag-toml-invalid-multi-line-basic-string = invalid multi-line basic string
diag-toml-invalid-multi-line-literal-string = invalid multi-line literal string
diag-toml-invalid-octal-number = invalid octal number
diag-toml-invalid-string = invalid string
diag-toml-invalid-table = invalid table
diag-toml-invalid-unquoted-key = invalid unquoted key
diag-toml-invalid-value = invalid value
diag-toml-missing-array-opening = missing array opening
diag-toml-missing-assignment = missing assignment between key-value pairs
diag-toml-missing-comma-array = missing comma between array elements
diag-toml-missing-comma-pairs = missing comma between key-value pairs
diag-toml-missing-comment-start = missing comment start
diag-toml-missing-escaped-value = missing escaped value
diag-toml-missing-inline-table-opening = missing inline table opening
diag-toml-missing-inline-key = missing key for inline table element
diag-toml-missing-opening-quote = missing opening quote
diag-toml-missing-table-open = missing table open
diag-toml-missing-value-for-key = missing value for key
diag-toml-missing-value = missing value
diag-toml-unclosed-array-table = unclosed array table
diag-toml-unclosed-array = unclosed array
diag-toml-unclosed-inline-table = unclosed inline table
diag-toml-unclosed-table = unclosed table
diag-toml-unexpected-equals-in-array = unexpected `=` in array
diag-toml-unexpected-content-after-comment = unexpected content between comment and newline
diag-toml-unexpected-content = unexpected content
diag-toml-unexpected-key-or-value = unexpected key or value
diag-toml-unexpected-leading-zero = unexpected leading zero
diag-toml-unexpected-sign = unexpected sign
diag-toml-key-with-no-value = key with no value
diag-toml-extra-equals = extra `=`
diag-toml-extra-comma-array = extra comma in array
diag-toml-extra-comma-inline-table = extra comma in inline table
diag-toml-extra-assignment = extra assignment between key-value pairs
diag-toml-string-values-quoted = string values must be quoted
diag-toml-underscore = `_` may only go between digits
diag-toml-radix-signed = integers with a radix cannot be signed
diag-toml-radix-lowercase = radix must be lowercase
diag-toml-carriage-return = carriage return must be followed by newline
diag-toml-empty-unquoted-key = unquoted keys cannot be empty
diag-toml-redundant-sign = redundant numeric sign
diag-toml-redundant-prefix = redundant integer number prefix
diag-toml-too-few-unicode-digits = too few unicode value digits
diag-toml-recursion = cannot recurse further; max recursion depth met
diag-toml-key = key
diag-toml-value = value
diag-toml-newline = newline
diag-toml-nothing = nothing
diag-toml-literal-string = literal string
diag-toml-basic-string = basic string
diag-toml-multi-line-basic-string = multi-line basic string
diag-toml-letters = letters
diag-toml-numbers = numbers
diag-toml-digits = digits
diag-toml-characters = characters
diag-toml-printable-characters = printable characters
diag-toml-unicode-hex-value = unicode hexadecimal value
diag-toml-non-double-quote-visible = non-double-quote visible characters
diag-toml-non-single-quote-visible = non-single-quote visible characters
diag-toml-non-single-quote = non-single-quote characters

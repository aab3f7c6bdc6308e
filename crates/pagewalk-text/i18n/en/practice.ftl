# practice: English. Every message has its twin in ../zh-TW/practice.ftl.ftl (checked by a test).

## The practice page (#page=practice)
practice-title = Practice: questions generated from a seed
practice-intro = Each question is a small scenario, generated from its seed the way OSTEP's paging homework generates problems; the answer is what the simulator does when it runs it. Even seeds ask how many references a walk makes, odd seeds ask you to translate an address by reading the page tables.
practice-question = Question (seed { $seed })
practice-answer-label = Your answer:
practice-check = Check
practice-next = Generate another
practice-score = {" "}score { $right } / { $total }
practice-right = Right: { $answer }.
practice-wrong = Not this time: the answer is { $answer }.
practice-why = Why:
practice-open = Open this question in the player
practice-open-end = {" "}to step through the walk.
practice-answer-refs = { $count ->
    [one] { $count } page-table reference
   *[other] { $count } page-table references
}
practice-answer-address = physical address { $address }
practice-answer-fault = a page fault (#PF)

## The questions (web/src/practice.rs)
practice-setup-native = A machine without a hypervisor, { $levels }-level paging; the page is a { $page } page.
practice-setup-nested = A { $levels }-level guest over { $stage2_levels }-level { $stage2 }: the guest maps the page with a { $page } page, { $stage2 } maps guest-physical memory with { $stage2_page } pages.
practice-refs-question = The TLB and the paging-structure caches are empty. How many page-table references does one read of { $address } make?
practice-translate-question = Which physical address does a read of { $address } reach? Type it in hex, or "fault".
practice-given-head = CR3 = { $root }, 4-level paging. Entries not listed are 0 (not present). In an entry, bit 0 = present and bits 51..12 = the next table or the page.
practice-given-table = table at { $table }:
practice-why-native = A walk reads one entry per level down to the leaf: a 2 MiB page ends it one level early, a 1 GiB page two.
practice-why-nested = A walk that reads g guest entries, each behind an h-reference stage-2 walk, makes (g+1)(h+1)-1 (the last h for the data page itself); a larger page ends its walk a level or two early.
practice-why-indices = The address's indices are PML4 { $pml4 }, PDPT { $pdpt }, PD { $pd }, PT { $pt }, offset { $offset } (bits 47..39, 38..30, 29..21, 20..12, 11..0).
# A generated question's scenario: its name and lesson (the zh-TW ones go into its zh-TW. keys).
practice-refs-name = Practice { $seed }: reference count
practice-refs-lesson = How many page-table references does a cold TLB miss make?
practice-translate-name = Practice { $seed }: translate an address
practice-translate-lesson = Translate a virtual address by reading the page tables

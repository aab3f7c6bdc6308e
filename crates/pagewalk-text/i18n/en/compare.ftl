# compare: English. Every message has its twin in ../zh-TW/compare.ftl.ftl (checked by a test).

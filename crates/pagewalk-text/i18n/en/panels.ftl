# panels: English. Every message has its twin in ../zh-TW/panels.ftl.ftl (checked by a test).

# practice: English. Every message has its twin in ../zh-TW/practice.ftl.ftl (checked by a test).

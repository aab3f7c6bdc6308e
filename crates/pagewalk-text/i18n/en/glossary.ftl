# glossary: English. Every message has its twin in ../zh-TW/glossary.ftl.ftl (checked by a test).

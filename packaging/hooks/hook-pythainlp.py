"""PyInstaller hook for PyThaiNLP, in place of the contributed one that takes its whole corpus
(63 MB of models for taggers and tokenizers we never call): only the files the newmm word
tokenizer reads (minichat_desktop.domain.thai_lines), its licence and the default catalogue.
tests/package checks the frozen program still shapes and wraps Thai documents."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files(
    "pythainlp",
    includes=[
        "corpus/words_th.txt",
        "corpus/stopwords_th.txt",
        "corpus/default_db.json",
        "corpus/corpus_license.md",
    ],
)

// Package corpus locates the third-party capture corpus that robustness and
// agreement tests read: $CONNSCOPE_CORPUS, or ../shared/corpus beside the
// repository. The corpus is never part of the repository; tests skip when
// it is absent.
//
// Test support only. Inputs: the environment and the working directory;
// output: a directory path. Concurrency: safe. Buffers and limits: none.
package corpus

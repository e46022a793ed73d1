;;; tl_mode_test.el --- ERT tests of editors/emacs/tl-mode.el in batch Emacs  -*- lexical-binding: t; -*-

;; emacs --batch -l tl_mode_test.el -f ert-run-tests-batch-and-exit
;; Environment: TL_REPO (the repository), TL_LSP_BIN (the tl-lsp binary).
;; eglot (the elpa-eglot package on Emacs 28, built in from 29) opens a file with a shape error,
;; must get tl-lsp's diagnostic through flymake, and shut the server down without an error.

(require 'ert)
(require 'cl-lib)
(require 'imenu)
(add-to-list 'load-path (expand-file-name "editors/emacs" (getenv "TL_REPO")))
(require 'tl-mode)

(defun tl-test-file (name text)
  (let ((f (expand-file-name name (make-temp-file "tl-emacs-" t))))
    (with-temp-file f (insert text))
    f))

(ert-deftest tl-mode-imenu-and-compile ()
  (with-current-buffer (find-file-noselect
                        (tl-test-file "a.tl" "fn f(x: int) -> int {\n    return x\n}\ntensor w: float16[2] = [1.0, 2.0]\nlet y = f(1)\nmain {\n}\n"))
    (should (eq major-mode 'tl-mode))
    (let ((index (funcall imenu-create-index-function)))
      (should (assoc "f" (cdr (assoc "Functions" index))))
      (should (assoc "w" (cdr (assoc "Tensors" index))))
      (should (assoc "y" (cdr (assoc "Variables" index))))
      (should (assoc "main" index)))
    (should (string-match-p "\\`tl check .*a\\.tl\\'" compile-command))
    (kill-buffer)))

(ert-deftest tl-compilation-error-regexp-matches-tl-check ()
  (require 'compile)
  (with-temp-buffer
    (insert "model.tl:3:7: error[E0202]: expected ')'\nmodel.tl:5:1: warning[W0301]: float32\n")
    (compilation-mode)
    (let ((inhibit-read-only t)) (font-lock-ensure) (compilation--ensure-parse (point-max)))
    (goto-char (point-min))
    (let ((msg (get-text-property (point) 'compilation-message)))
      (should msg)
      (let ((loc (compilation--message->loc msg)))
        (should (equal (compilation--loc->line loc) 3))
        (should (equal (compilation--loc->col loc) 7)))
      (should (equal (compilation--message->type msg) 2)))
    (forward-line 1)
    (should (equal (compilation--message->type (get-text-property (point) 'compilation-message)) 1))))

(ert-deftest tl-eglot-diagnostics-and-clean-shutdown ()
  (require 'eglot)
  (require 'flymake)
  (let* ((tl-lsp-command (list (getenv "TL_LSP_BIN") "--stdio" "--quiet" "--debounce-ms=10"))
         (errors '())
         (file (tl-test-file "shape.tl" "let a = tensor<float16>([1.0, 2.0], device: cpu)\nlet b = a @ 3\n"))
         (buf (find-file-noselect file))
         server process)
    ;; A jsonrpc error anywhere (eglot reports them with `eglot--error' / `jsonrpc-error') fails.
    (advice-add 'jsonrpc--log-event :before
                (lambda (_conn message &rest _)
                  (when (plist-get message :error) (push message errors)))
                '((name . tl-test-errors)))
    (unwind-protect
        (with-current-buffer buf
          (should (eq major-mode 'tl-mode))
          ;; What `eglot-ensure' does from the command loop, which batch Emacs does not run.
          (let ((contact (eglot--guess-contact)))
            (should (equal (nth 4 contact) "tensorlogic"))
            (apply #'eglot contact))
          (should (with-timeout (30 nil)
                    (while (not (eglot-current-server)) (accept-process-output nil 0.05))
                    t))
          (setq server (eglot-current-server))
          (setq process (jsonrpc--process server))
          (should (process-live-p process))
          (should (equal (eglot--language-id server) "tensorlogic"))
          (should (with-timeout (30 nil)
                    (while (not (flymake-diagnostics)) (flymake-start) (accept-process-output nil 0.1))
                    t))
          (let ((d (cl-find-if (lambda (d) (eq (flymake-diagnostic-type d) 'eglot-error))
                               (flymake-diagnostics))))
            (should d)
            (should (string-match-p "cannot be applied" (flymake-diagnostic-text d))))
          (eglot-shutdown server)
          (should (with-timeout (10 nil)
                    (while (process-live-p process) (accept-process-output nil 0.05))
                    t))
          ;; Emacs 28's jsonrpc deletes the process right after sending `exit', before its own
          ;; sentinel can see the exit code, so the status is not checked here (the LSP session
          ;; tests check exit code 0 after shutdown + exit with null params). What eglot users
          ;; saw was an error reply to `shutdown' (params null): there must be none.
          (should (null errors)))
      (advice-remove 'jsonrpc--log-event 'tl-test-errors)
      (when (and server (jsonrpc-running-p server)) (ignore-errors (eglot-shutdown server)))
      (when (and process (process-live-p process)) (kill-process process))
      (kill-buffer buf))))



(ert-deftest tl-lsp-mode-client-registered ()
  (require 'lsp-mode)
  (let ((client (gethash 'tl-lsp lsp-clients)))
    (should client)
    (should (equal (cdr (assq 'tl-mode lsp-language-id-configuration)) "tensorlogic"))
    (should (memq 'tl-mode (lsp--client-major-modes client)))))
;;; tl_mode_test.el ends here

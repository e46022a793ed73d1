;;; tl-mode.el --- Major mode for TensorLogic (.tl) with tl-lsp  -*- lexical-binding: t; -*-

;; Version: 0.2.0
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages

;;; Commentary:

;; Syntax highlighting, indentation, imenu and `tl check' through `compile' for TensorLogic,
;; and registration of the tl-lsp language server (language id "tensorlogic", as VS Code and
;; lsp-mode send it) with eglot (built into Emacs 29, or the package) and lsp-mode.
;;
;;   (add-to-list 'load-path "/path/to/editors/emacs")
;;   (require 'tl-mode)
;;   (add-hook 'tl-mode-hook #'eglot-ensure)      ; or #'lsp-deferred with lsp-mode
;;
;; M-x tl-check (C-c C-c in tl-mode) runs `tl check' on the file in a compilation buffer, whose
;; FILE:LINE:COL: error[CODE] lines are links (`next-error' walks them).  M-x tl-run runs it.
;; imenu lists functions, tensors, top-level variables and `main'.
;;
;; `tl-lint' (default t) chooses whether the server publishes the linter's findings; it is sent
;; as initializationOptions when the server starts (after changing it: `eglot-reconnect' or
;; `lsp-workspace-restart').  In a running eglot session, setting `eglot-workspace-configuration'
;; to (:tl (:lint :json-false)) and calling `eglot-signal-didChangeConfiguration' also works.

;;; Code:

(defgroup tl nil "TensorLogic." :group 'languages)

(defcustom tl-lsp-command '("tl-lsp" "--stdio")
  "Command line that starts the tl-lsp language server."
  :type '(repeat string) :group 'tl)

(defcustom tl-lint t
  "Non-nil: tl-lsp publishes the linter's findings (the rules of `tl lint') too."
  :type 'boolean :group 'tl)

(defun tl--initialization-options ()
  "The initializationOptions tl-lsp reads: (:lint t) or (:lint :json-false)."
  (list :lint (if tl-lint t :json-false)))

(defcustom tl-program "tl"
  "The tl driver, for `tl-check' and `tl-run'."
  :type 'string :group 'tl)

(defcustom tl-indent-offset 4
  "Indentation of TensorLogic blocks."
  :type 'integer :group 'tl)

(defconst tl-keywords
  '("fn" "function" "let" "tensor" "import" "main" "if" "else" "while" "for" "in"
    "break" "continue" "return" "learnable" "frozen"))

(defconst tl-types
  '("float16" "float32" "float64" "bfloat16" "int" "float" "bool" "string" "Shape" "Model"))

(defconst tl-font-lock-keywords
  `((,(regexp-opt tl-keywords 'symbols) . font-lock-keyword-face)
    (,(regexp-opt tl-types 'symbols) . font-lock-type-face)
    (,(regexp-opt '("true" "false" "none" "gpu" "cpu") 'symbols) . font-lock-constant-face)
    ("\\_<\\(?:fn\\|function\\)\\_>[ \t]+\\([[:alpha:]_][[:alnum:]_]*\\)" 1 font-lock-function-name-face)
    ("\\_<\\(?:let\\|tensor\\)\\_>[ \t]+\\([[:alpha:]_][[:alnum:]_]*\\)" 1 font-lock-variable-name-face)
    ("\\_<\\([[:alpha:]_][[:alnum:]_]*\\)[ \t]*(" 1 font-lock-function-name-face)))

(defvar tl-mode-syntax-table
  (let ((st (make-syntax-table)))
    (modify-syntax-entry ?_ "_" st)
    (modify-syntax-entry ?/ ". 124b" st)
    (modify-syntax-entry ?* ". 23" st)
    (modify-syntax-entry ?\n "> b" st)
    (modify-syntax-entry ?\" "\"" st)
    (modify-syntax-entry ?@ "." st)
    st)
  "Syntax table for `tl-mode': // and /* */ comments, double-quoted strings.")

(defun tl-indent-line ()
  "Indent by bracket depth."
  (interactive)
  (let* ((depth (save-excursion (car (syntax-ppss (line-beginning-position)))))
         (closing (save-excursion (back-to-indentation) (looking-at-p "[]})]")))
         (col (* tl-indent-offset (max 0 (- depth (if closing 1 0))))))
    (if (<= (current-column) (current-indentation))
        (indent-line-to col)
      (save-excursion (indent-line-to col)))))

(defconst tl-imenu-generic-expression
  '(("Functions" "^[ \t]*\\_<\\(?:fn\\|function\\)\\_>[ \t]+\\([[:alpha:]_][[:alnum:]_]*\\)" 1)
    ("Tensors" "^\\_<tensor\\_>[ \t]+\\([[:alpha:]_][[:alnum:]_]*\\)" 1)
    ("Variables" "^\\_<let\\_>[ \t]+\\([[:alpha:]_][[:alnum:]_]*\\)" 1)
    (nil "^\\_<\\(main\\)\\_>[ \t]*{" 1))
  "What imenu lists: top-level declarations (functions at any indentation).")

;; `tl check' prints FILE:LINE:COL: error[E0405]: message (columns from 1), and warnings and
;; notes the same way.
(defconst tl-compilation-error-regexp
  '(tl "^\\([^:\n]+\\):\\([0-9]+\\):\\([0-9]+\\): \\(?:error\\|\\(warning\\)\\|\\(note\\)\\)"
       1 2 3 (4 . 5))
  "Entry of `compilation-error-regexp-alist-alist' for tl's diagnostics.")

(with-eval-after-load 'compile
  (add-to-list 'compilation-error-regexp-alist-alist tl-compilation-error-regexp)
  (add-to-list 'compilation-error-regexp-alist 'tl))

(defun tl--compile (subcommand)
  "Run `tl SUBCOMMAND' on the current file in a compilation buffer."
  (unless buffer-file-name (user-error "The buffer has no file"))
  (require 'compile)
  (save-some-buffers (not compilation-ask-about-save) nil)
  (compile (format "%s %s %s" tl-program subcommand
                   (shell-quote-argument (file-local-name buffer-file-name)))))

(defun tl-check ()
  "Check the current file with `tl check'; its diagnostics become `next-error' links."
  (interactive)
  (tl--compile "check"))

(defun tl-run ()
  "Run the current file with `tl run'."
  (interactive)
  (tl--compile "run"))

(defvar tl-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'tl-check)
    (define-key map (kbd "C-c C-r") #'tl-run)
    map)
  "Keymap for `tl-mode'.")

;;;###autoload
(define-derived-mode tl-mode prog-mode "TensorLogic"
  "Major mode for TensorLogic source files.

\\{tl-mode-map}"
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "//+[ \t]*\\|/\\*+[ \t]*")
  (setq-local font-lock-defaults '(tl-font-lock-keywords))
  (setq-local indent-line-function #'tl-indent-line)
  (setq-local indent-tabs-mode nil)
  (setq-local imenu-generic-expression tl-imenu-generic-expression)
  (setq-local compile-command
              (when buffer-file-name
                (format "%s check %s" tl-program
                        (shell-quote-argument (file-local-name buffer-file-name))))))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.tl\\'" . tl-mode))

;; eglot (Emacs 29 built-in, or the package 1.9+): language id "tensorlogic"; the contact is
;; computed when the server starts.
(put 'tl-mode 'eglot-language-id "tensorlogic")
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               `((tl-mode :language-id "tensorlogic")
                 . ,(lambda (&rest _)
                      (append tl-lsp-command
                              (list :initializationOptions
                                    (tl--initialization-options)))))))

;; lsp-mode, when installed.
(with-eval-after-load 'lsp-mode
  (add-to-list 'lsp-language-id-configuration '(tl-mode . "tensorlogic"))
  (lsp-register-client
   (make-lsp-client :new-connection (lsp-stdio-connection (lambda () tl-lsp-command))
                    :activation-fn (lsp-activate-on "tensorlogic")
                    :initialization-options #'tl--initialization-options
                    :major-modes '(tl-mode)
                    :server-id 'tl-lsp)))

(provide 'tl-mode)
;;; tl-mode.el ends here

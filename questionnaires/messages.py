"""The (Vietnamese, English) message templates of this package, keyed by problem code.

:data:`FILE_PROBLEMS` serves the questionnaire loader, the XLSForm reader and the guard
of every uploaded workbook (:mod:`questionnaires.workbooks`, codes ``workbook_...``),
through :class:`~questionnaires.problems.ProblemList`; :data:`ANSWER_PROBLEMS` serves
:class:`~questionnaires.answers.AnswerError`.  Templates are filled with
:meth:`str.format`, so a literal brace is written ``{{`` or ``}}``; no template takes a
parameter named ``code``, which is the problem code's argument name.
"""

from __future__ import annotations

#: Problems in a questionnaire file or workbook.
FILE_PROBLEMS: dict[str, tuple[str, str]] = {
    # -- shape of the document
    "not_a_mapping": ("'{field}' phải là một khối gồm các khóa và giá trị",
                      "'{field}' must be a mapping of keys to values"),
    "not_a_list": ("'{field}' phải là một danh sách", "'{field}' must be a list"),
    "empty_list": ("'{field}' không được để trống", "'{field}' must not be empty"),
    "not_text": ("'{field}' phải là một chuỗi văn bản không rỗng",
                 "'{field}' must be a non-empty text string"),
    "not_a_bool": ("'{field}' phải là true hoặc false", "'{field}' must be true or false"),
    "missing_key": ("thiếu khóa bắt buộc '{key}'", "the required key '{key}' is missing"),
    "unknown_key": ("khóa '{key}' không được hỗ trợ ở đây",
                    "the key '{key}' is not supported here"),
    "format_missing": ("thiếu khóa 'format' (phiên bản định dạng tệp, hiện là {supported})",
                       "the key 'format' (file format version, currently {supported}) is missing"),
    "format_unsupported": ("định dạng tệp {found} không được hỗ trợ (chỉ đọc được định dạng "
                           "{supported})",
                           "file format {found} is not supported (only format {supported} can "
                           "be read)"),
    # -- codes
    "bad_form_code": ("mã phiếu '{value}' không hợp lệ: dùng chữ, số, '-', '_' hoặc '.', "
                      "tối đa 40 ký tự",
                      "the form code '{value}' is not valid: use letters, digits, '-', '_' "
                      "or '.', at most 40 characters"),
    "bad_code": ("mã '{value}' không hợp lệ: bắt đầu bằng chữ cái không dấu hoặc '_', sau đó "
                 "là chữ, số hoặc '_', tối đa 40 ký tự",
                 "the code '{value}' is not valid: start with an ASCII letter or '_', then "
                 "letters, digits or '_', at most 40 characters"),
    "bad_option_value": ("giá trị phương án '{value}' không hợp lệ: dùng chữ không dấu, số, "
                         "'_', '-' hoặc '.', tối đa 32 ký tự",
                         "the option value '{value}' is not valid: use ASCII letters, digits, "
                         "'_', '-' or '.', at most 32 characters"),
    "bad_criterion": ("mã tiêu chí '{value}' không hợp lệ (ví dụ đúng: TC1.1)",
                      "the criterion code '{value}' is not valid (for example: TC1.1)"),
    "version_not_text": ("phiên bản phải viết trong dấu nháy, ví dụ version: \"2020.1\"",
                         "the version must be written in quotes, e.g. version: \"2020.1\""),
    "duplicate_section": ("mã phần '{name}' bị trùng", "the section code '{name}' is used twice"),
    "duplicate_question": ("mã câu hỏi '{name}' bị trùng trong phiếu",
                           "the question code '{name}' is used twice in the form"),
    "duplicate_option": ("giá trị phương án '{value}' bị trùng",
                         "the option value '{value}' is used twice"),
    # -- labels
    "label_missing": ("thiếu nhãn {lang_vi} ('{field}.{lang}')",
                      "the {lang_en} label is missing ('{field}.{lang}')"),
    "label_bad_character": ("nhãn '{field}.{lang}' chứa ký tự điều khiển không hợp lệ",
                            "the label '{field}.{lang}' contains a control character"),
    "unit_placeholder": ("chỉ câu hỏi loại unit_rating mới được dùng {{unit}} trong nhãn",
                         "only a unit_rating question may use {{unit}} in its label"),
    # -- questions
    "unknown_kind": ("loại câu hỏi '{kind}' không tồn tại (dùng một trong: {kinds})",
                     "there is no question kind '{kind}' (use one of: {kinds})"),
    "key_not_for_kind": ("khóa '{key}' không dùng cho câu hỏi loại {kind}",
                         "the key '{key}' does not apply to a question of kind {kind}"),
    "no_options": ("câu hỏi loại {kind} cần có phương án trả lời ('options' hoặc 'scale')",
                   "a question of kind {kind} needs answer options ('options' or 'scale')"),
    "options_and_scale": ("chỉ dùng một trong hai khóa 'options' hoặc 'scale'",
                          "use either 'options' or 'scale', not both"),
    "unknown_scale": ("thang trả lời '{scale}' chưa được khai báo trong 'scales'",
                      "the scale '{scale}' is not declared under 'scales'"),
    "criterion_not_allowed": ("câu hỏi loại {kind} không tính điểm nên không gắn tiêu chí",
                              "a question of kind {kind} carries no score and takes no "
                              "criterion"),
    "scored_without_weights": ("câu hỏi gắn tiêu chí {criterion} nhưng không phương án nào có "
                               "trọng số",
                               "the question feeds criterion {criterion} but none of its "
                               "options has a weight"),
    "identifying_background": ("câu hỏi thông tin người trả lời không được hỏi thông tin nhận "
                               "dạng cá nhân (từ '{word}')",
                               "a background question must not ask for identifying "
                               "information (the word '{word}')"),
    "not_a_number": ("'{field}' phải là một số", "'{field}' must be a number"),
    "not_an_integer": ("'{field}' phải là một số nguyên vì câu hỏi nhận số nguyên",
                       "'{field}' must be a whole number, as the question takes whole numbers"),
    "min_above_max": ("giá trị nhỏ nhất ({min}) lớn hơn giá trị lớn nhất ({max})",
                      "the minimum ({min}) is greater than the maximum ({max})"),
    "bad_max_length": ("'max_length' phải là số nguyên từ 1 đến {limit}",
                       "'max_length' must be a whole number from 1 to {limit}"),
    # -- options
    "weight_missing": ("phương án '{value}' thiếu trọng số; ghi 'weight: null' nếu phương án "
                       "không tính điểm (ví dụ Không biết)",
                       "the option '{value}' has no weight; write 'weight: null' for an "
                       "option that carries no score (e.g. Don't know)"),
    "weight_not_number": ("trọng số '{weight}' không phải là một số",
                          "the weight '{weight}' is not a number"),
    "weight_out_of_range": ("trọng số {weight} nằm ngoài khoảng từ 0 đến 1",
                            "the weight {weight} is outside the range 0 to 1"),
    # -- conditions
    "relevant_unknown_question": ("điều kiện hiển thị dựa vào câu hỏi '{question}' không có "
                                  "trong phiếu",
                                  "the condition refers to question '{question}', which is "
                                  "not in the form"),
    "relevant_later_question": ("điều kiện hiển thị chỉ được dựa vào câu hỏi đứng trước; "
                                "'{question}' không đứng trước câu này",
                                "a condition may only refer to an earlier question; "
                                "'{question}' does not come before this one"),
    "relevant_bad_op": ("phép so sánh '{op}' không hợp lệ (dùng một trong: {ops})",
                        "'{op}' is not a comparison (use one of: {ops})"),
    "relevant_ordering": ("phép so sánh '{op}' chỉ dùng cho câu hỏi dạng số",
                          "the comparison '{op}' only applies to number questions"),
    "relevant_on_text": ("điều kiện hiển thị không được dựa vào câu trả lời tự do ('{question}')",
                         "a condition cannot depend on a free-text answer ('{question}')"),
    "relevant_needs_list": ("phép so sánh 'in' cần một danh sách giá trị không rỗng",
                            "the comparison 'in' needs a non-empty list of values"),
    "relevant_not_an_option": ("'{value}' không phải là giá trị phương án của câu hỏi "
                               "'{question}'",
                               "'{value}' is not an option value of question '{question}'"),
    "relevant_not_a_number": ("câu hỏi '{question}' nhận số, nên giá trị so sánh '{value}' "
                              "phải là một số",
                              "question '{question}' takes a number, so the value '{value}' "
                              "must be a number"),
    # -- built-in forms
    "unknown_builtin_form": ("không có phiếu dựng sẵn mã '{name}' (có: {codes})",
                             "there is no built-in form '{name}' (available: {codes})"),
    # -- XLSForm workbooks
    "file_missing": ("không tìm thấy tệp", "file not found"),
    "xlsform_unreadable": ("không đọc được tệp Excel: {detail}",
                           "cannot read the Excel workbook: {detail}"),
    "xlsform_missing_sheet": ("thiếu trang tính '{sheet}'", "the sheet '{sheet}' is missing"),
    "xlsform_missing_column": ("thiếu cột '{column}'", "the column '{column}' is missing"),
    "xlsform_unsupported_type": ("loại '{type}' nằm ngoài phần XLSForm được hỗ trợ (hỗ trợ: "
                                 "select_one, select_multiple, text, integer, decimal, note, "
                                 "begin_group, end_group)",
                                 "the type '{type}' is outside the supported XLSForm subset "
                                 "(supported: select_one, select_multiple, text, integer, "
                                 "decimal, note, begin_group, end_group)"),
    "xlsform_missing_language": ("trang '{sheet}' không có cột nhãn {lang_vi} (ví dụ "
                                 "'{column}'); mọi nhãn phải có cả tiếng Việt và tiếng Anh",
                                 "the sheet '{sheet}' has no {lang_en} label column (such as "
                                 "'{column}'); every label needs both Vietnamese and English"),
    "xlsform_unsupported_column": ("cột '{column}' không được hỗ trợ; hãy để trống",
                                   "the column '{column}' is not supported; leave it empty"),
    "xlsform_nested_group": ("nhóm lồng trong nhóm không được hỗ trợ",
                             "a group inside a group is not supported"),
    "xlsform_group_not_closed": ("nhóm '{name}' chưa được đóng bằng end_group",
                                 "the group '{name}' is not closed by an end_group"),
    "xlsform_end_without_begin": ("end_group không có begin_group tương ứng",
                                  "end_group without a matching begin_group"),
    "xlsform_unknown_list": ("danh sách phương án '{list}' không có trong trang choices",
                             "the choice list '{list}' is not on the choices sheet"),
    "xlsform_bad_required": ("giá trị required '{value}' không được hỗ trợ (dùng yes hoặc để "
                             "trống)",
                             "the required value '{value}' is not supported (use yes, or "
                             "leave it empty)"),
    "xlsform_bad_relevant": ("biểu thức relevant '{expression}' quá phức tạp; chỉ hỗ trợ "
                             "${{câu_hỏi}} so sánh với một giá trị, hoặc nhiều phép '=' trên "
                             "cùng câu hỏi nối bằng 'or'",
                             "the relevant expression '{expression}' is too complex; only "
                             "${{question}} compared with one value, or '=' comparisons on "
                             "the same question joined by 'or', are supported"),
    "xlsform_bad_constraint": ("ràng buộc '{expression}' không được hỗ trợ (hỗ trợ: '. >= số', "
                               "'. <= số' nối bằng 'and' cho câu hỏi số; "
                               "'string-length(.) <= số' cho câu hỏi văn bản)",
                               "the constraint '{expression}' is not supported (supported: "
                               "'. >= n', '. <= n' joined by 'and' for numbers; "
                               "'string-length(.) <= n' for text)"),
    "xlsform_kind_mismatch": ("par_kind '{kind}' không dùng được với loại '{type}'",
                              "par_kind '{kind}' cannot be used with type '{type}'"),
    # -- any Excel workbook that is uploaded (questionnaires.workbooks)
    "workbook_unreadable": ("không đọc được tệp: {detail_vi}",
                            "the file cannot be read: {detail_en}"),
    "workbook_damaged": ("tệp bị hỏng hoặc không phải là bảng tính Excel (.xlsx): {detail_vi}; "
                         "hãy mở tệp bằng Excel và lưu lại dưới dạng Excel Workbook (.xlsx)",
                         "the file is damaged or is not an Excel workbook (.xlsx): {detail_en}; "
                         "open it in Excel and save it again as an Excel Workbook (.xlsx)"),
    "workbook_wrong_format": ("tệp có định dạng {format}, không phải bảng tính Excel (.xlsx); "
                              "hãy mở tệp bằng Excel (hoặc LibreOffice) rồi chọn Lưu thành "
                              "(Save As) > Excel Workbook (.xlsx)",
                              "the file is in the {format} format, not an Excel workbook "
                              "(.xlsx); open it in Excel (or LibreOffice) and save it as an "
                              "Excel Workbook (.xlsx)"),
    "workbook_encrypted": ("tệp được đặt mật khẩu (mã hóa) nên không đọc được; hãy mở tệp bằng "
                           "Excel, gỡ mật khẩu (Tệp > Thông tin > Bảo vệ Sổ làm việc > Mã hóa "
                           "bằng Mật khẩu, xóa mật khẩu) rồi lưu lại",
                           "the file is encrypted with a password and cannot be read; open it "
                           "in Excel, remove the password (File > Info > Protect Workbook > "
                           "Encrypt with Password, clear it) and save it again"),
    "workbook_too_large": ("tệp có dung lượng {size_vi}, vượt quá giới hạn {limit_vi}",
                           "the file is {size_en}, over the limit of {limit_en}"),
    "workbook_too_many_parts": ("tệp nén gồm hơn {limit_vi} phần, điều không bảng tính thông "
                                "thường nào có",
                                "the archive holds more than {limit_en} parts, which no "
                                "ordinary workbook does"),
    "workbook_part_too_large": ("phần này khi giải nén có dung lượng {size_vi}, vượt quá giới "
                                "hạn {limit_vi}",
                                "this part expands to {size_en}, over the limit of {limit_en}"),
    "workbook_expands_too_much": ("tệp khi giải nén có dung lượng {size_vi}, vượt quá giới hạn "
                                  "{limit_vi}",
                                  "the file expands to {size_en}, over the limit of {limit_en}"),
    "workbook_compression_ratio": ("phần này được nén {ratio} lần, cao bất thường (giới hạn "
                                   "{limit} lần): tệp có thể là một \"quả bom nén\"",
                                   "this part is compressed {ratio} times, abnormally much (the "
                                   "limit is {limit} times): the file may be a zip bomb"),
    "workbook_too_many_cells": ("bảng tính có hơn {limit_vi} ô (tính mọi ô từ A1 đến hàng và "
                                "cột cuối của mỗi trang, kể cả ô trống, ô gộp và ô có liên "
                                "kết); hãy xóa các hàng và cột thừa",
                                "the workbook has more than {limit_en} cells (counting every "
                                "cell from A1 to the last row and column of each sheet, empty, "
                                "merged and hyperlinked cells included); delete the rows and "
                                "columns that are not needed"),
    "workbook_too_many_strings": ("bảng tính chứa hơn {limit_vi} đoạn văn bản",
                                  "the workbook holds more than {limit_en} texts"),
    "workbook_cell_too_long": ("ô chứa hơn {limit_vi} ký tự, vượt quá giới hạn một ô của Excel",
                               "the cell holds more than {limit_en} characters, over Excel's "
                               "limit for one cell"),
    "workbook_too_complex": ("phần này của tệp quá phức tạp (cùng các phần khác, hơn {limit_vi} "
                             "phần tử XML)",
                             "this part of the file is too complex (with the other parts, more "
                             "than {limit_en} XML elements)"),
}

#: Problems with one answer, as shown next to the question on a web form.
ANSWER_PROBLEMS: dict[str, tuple[str, str]] = {
    "required": ("Câu hỏi này bắt buộc trả lời.", "This question must be answered."),
    "not_an_option": ("Câu trả lời không phải là một trong các phương án đã cho.",
                      "The answer is not one of the options."),
    "not_a_number": ("Vui lòng nhập một số.", "Please enter a number."),
    "not_an_integer": ("Vui lòng nhập một số nguyên.", "Please enter a whole number."),
    "below_minimum": ("Giá trị phải từ {minimum} trở lên.",
                      "The value must be at least {minimum}."),
    "above_maximum": ("Giá trị không được lớn hơn {maximum}.",
                      "The value must be at most {maximum}."),
    "too_long": ("Câu trả lời không được dài quá {max_length} ký tự.",
                 "The answer must not be longer than {max_length} characters."),
}

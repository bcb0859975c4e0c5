"""Read back what :mod:`helpers.run.submission` writes as RTF: the text of every table row."""

import re

_CONTROL = re.compile(r"\\uc\d+|\\u(-?\d+)\*?|\\'([0-9a-fA-F]{2})|\\([{}\\])|\\[a-zA-Z]+-?\d* ?|[{}]")


def rtf_text(fragment: str) -> str:
    """The text of an RTF fragment: control words dropped, ``\\uN`` and ``\\'hh`` decoded."""

    def decode(m: re.Match) -> str:
        if m.group(1) is not None:
            return chr(int(m.group(1)) % 65536)
        if m.group(2) is not None:
            return bytes.fromhex(m.group(2)).decode("cp1252")
        if m.group(3) is not None:
            return m.group(3)
        return ""

    return _CONTROL.sub(decode, fragment).strip()


def rtf_rows(rtf: str) -> list[list[str]]:
    """Every table row of an RTF document (``\\trowd ... \\row``), as the text of its cells."""
    rows = []
    for block in re.findall(r"\\trowd(.*?)\\row\b", rtf, flags=re.DOTALL):
        body = block[block.find("\\pard") :] if "\\pard" in block else block
        cells = re.split(r"\\cell\b", body)[:-1]
        rows.append([rtf_text(c) for c in cells])
    return rows


def rtf_pages(rtf: str) -> list[str]:
    """The document split at its page breaks."""
    return re.split(r"\\page\b", rtf)

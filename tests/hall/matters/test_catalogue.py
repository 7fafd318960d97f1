"""The catalogue of matters beside hall.toml: the sample county hall's, and the files a hall
gets wrong, each refused with its file and line, all at once, and the server not started
(exit code 2)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hall.matters.catalogue import CatalogueError, catalogue_folder, load_catalogue
from hall.spec import LANGUAGES, load_hall
from tests.conftest import ROOT, SAMPLE_HALL
from tests.hall.test_main import hall as run_hall

SAMPLE_FOLDER = ROOT / "config" / "matters"


@pytest.fixture
def hall_dir(tmp_path) -> Path:
    """A copy of the sample hall with its catalogue, which a test may edit."""
    shutil.copy(SAMPLE_HALL, tmp_path / "hall.toml")
    shutil.copytree(SAMPLE_FOLDER, tmp_path / "matters")
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def refusal(hall_dir: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(hall_dir / "hall.toml", load_hall(hall_dir / "hall.toml"))
    return str(caught.value)


def test_the_sample_hall_has_matters_for_every_service_in_three_languages():
    spec = load_hall(SAMPLE_HALL)
    catalogue = load_catalogue(SAMPLE_HALL, spec)
    assert len(catalogue.entries) >= 12
    assert {e.matter.service for e in catalogue.entries} == {s.code for s in spec.services}
    assert {e.matter.kind for e in catalogue.entries} == {"immediate", "promised"}
    assert any(e.matter.agent for e in catalogue.entries)
    assert any(e.decided_by != e.department.name.zh_CN for e in catalogue.entries)
    for entry in catalogue.entries:
        texts = [entry.matter.name, entry.matter.fees, entry.matter.conditions, entry.matter.place,
                 *entry.matter.steps, *(d.name for d in entry.matter.documents), entry.department.name]
        for text in texts:
            assert all(getattr(text, language) for language in LANGUAGES), (entry.matter.code, text)


def test_a_hall_without_the_folder_has_no_matters(tmp_path):
    shutil.copy(SAMPLE_HALL, tmp_path / "hall.toml")
    assert not catalogue_folder(tmp_path / "hall.toml").exists()
    assert load_catalogue(tmp_path / "hall.toml", load_hall(SAMPLE_HALL)).entries == ()


def test_a_missing_field_names_its_file_and_line(hall_dir):
    path = hall_dir / "matters" / "taxation.toml"
    edit(path, 'post = "退税审核岗"\n', "")
    message = refusal(hall_dir)
    assert f"{path}:" in message and "matters[1].post: is required but missing" in message
    assert f"line {line_of(path, '[[matters]]', 2)}," in message


@pytest.mark.parametrize("days", ["0", "10000"])
def test_a_time_limit_of_none_or_of_thousands_of_days_is_refused(hall_dir, days):
    path = hall_dir / "matters" / "housing_fund.toml"
    edit(path, "legal_days = 15", f"legal_days = {days}")
    message = refusal(hall_dir)
    assert f"line {line_of(path, f'legal_days = {days}')}, matters[1].legal_days: {days}" in message


def test_a_promise_longer_than_the_law_or_on_an_immediate_matter_is_refused(hall_dir):
    path = hall_dir / "matters" / "taxation.toml"
    edit(path, "promised_days = 10", "promised_days = 30")
    edit(path, 'kind = "immediate"', 'kind = "immediate"\npromised_days = 2')
    message = refusal(hall_dir)
    assert "matters[0]: an immediate matter" in message and "promised_days = 30 is longer than legal_days = 20" in message


def test_a_code_used_twice_is_refused_where_it_is_used_again_even_in_another_file(hall_dir):
    path = hall_dir / "matters" / "veterans.toml"
    edit(path, 'code = "140830-TY-0802"', 'code = "140830-RS-0101"')
    message = refusal(hall_dir)
    assert (f"line {line_of(path, '140830-RS-0101')}, matters[1].code: matter code '140830-RS-0101' is used "
            "already in social_security.toml") in message
    edit(path, 'code = "140830-TY-0801"', 'code = "140830-RS-0101"')
    assert "a matter code is used twice in this file" in refusal(hall_dir)


def test_every_problem_of_every_file_at_once_then_exit_2(hall_dir):
    veterans, market = hall_dir / "matters" / "veterans.toml", hall_dir / "matters" / "market_regulation.toml"
    edit(veterans, 'service = "veterans"', 'service = "pensions"', 2)
    edit(market, 'leader = "冯涛"', "")
    message = refusal(hall_dir)
    for number in (1, 2):
        assert f"line {line_of(veterans, 'service = ', number)}, matters[{number - 1}].service: 'pensions' is no " \
               "service of hall.toml" in message
    assert str(market) in message and "department.leader: is required but missing" in message
    result = run_hall("serve", "--hall", str(hall_dir / "hall.toml"), "--data-dir", str(hall_dir / "data"),
                      "--port", "0")
    assert result.returncode == 2 and "'pensions' is no service of hall.toml" in result.stderr
    assert "Traceback" not in result.stderr and not (hall_dir / "data" / "hall.db").exists()


def test_a_file_that_is_not_toml_is_refused_with_its_line(hall_dir):
    path = hall_dir / "matters" / "taxation.toml"
    edit(path, 'person = "秦川"', 'person = "秦川')
    assert f"{path}:" in (message := refusal(hall_dir)) and "not valid TOML" in message
    broken = line_of(path, 'person = "秦川')
    assert f"line {broken}" in message


def test_the_sample_hall_accepts_a_matter_its_parent_decides():
    catalogue = load_catalogue(SAMPLE_HALL, load_hall(SAMPLE_HALL))
    above = [e for e in catalogue.entries if e.decided_above]
    assert [e.matter.code for e in above] == ["140800-GJ-0603"]
    assert above[0].decided_by == "市住房公积金管理中心" and above[0].matter.kind == "promised"
    assert not any(e.decided_above for e in catalogue.entries if e.matter.decided_at == "here")


def test_a_matter_decided_at_the_parent_is_promised_and_names_who_decides_it(hall_dir):
    path = hall_dir / "matters" / "housing_fund.toml"
    edit(path, 'decided_by = "市住房公积金管理中心"\n', "")
    taxation = hall_dir / "matters" / "taxation.toml"
    edit(taxation, 'kind = "immediate"', 'kind = "immediate"\ndecided_at = "parent"\ndecided_by = "市税务局"')
    veterans = hall_dir / "matters" / "veterans.toml"
    edit(veterans, 'service = "veterans"', 'service = "veterans"\ndecided_at = "county"')
    message = refusal(hall_dir)
    assert (f"line {line_of(path, '[[matters]]', 3)}, matters[2]: a matter decided at the parent names who decides "
            "it there") in message
    assert f"line {line_of(taxation, '[[matters]]', 1)}, matters[0]: a matter decided at the parent cannot be " \
           "immediate" in message
    assert f"line {line_of(veterans, 'decided_at')}, matters[0].decided_at: 'county'" in message

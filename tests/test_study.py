"""The study definition: this trial's file and the three-arm test file load; a broken file stops
with the file, the field and what was expected."""

from pathlib import Path

import pytest
import yaml

from helpers import config
from helpers.study import DEFAULT_STUDY, StudyError, load_study, parse_study

THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"


def _default_raw() -> dict:
    return yaml.safe_load(DEFAULT_STUDY.read_text())


def _broken(tmp_path: Path, change) -> str:
    raw = _default_raw()
    change(raw)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert str(path) in str(err.value)
    return str(err.value)


def test_this_trials_definition_names_two_arms_with_no_maintenance_as_reference():
    study = load_study()
    assert study.study.id == "NCT04674345"
    assert study.reference_arm.code == "CTRL"
    assert [a.code for a in study.comparator_arms] == ["SORA"]
    assert study.primary_endpoint.paramcd == "REL"
    assert study.endpoint("REL").cause_label(2) == "Non-relapse mortality"
    assert study.time.landmark_label(730) == "2 years"


def test_the_three_arm_definition_compares_each_dose_with_observation_in_display_order():
    study = load_study(THREE_ARM)
    assert [a.code for a in study.arms] == ["HIGH", "LOW", "OBS"]
    assert study.reference_arm.label == "Observation"
    assert [a.code for a in study.comparator_arms] == ["HIGH", "LOW"]
    assert study.arm("LOW").label == study.arm("Examplinib 150 mg").label


def test_decoded_levels_keep_the_files_order_and_unknown_codes_show_as_themselves():
    donor = load_study().variable("DONORTYP")
    assert list(donor.levels) == ["MSD", "MUD", "HAPLO"]
    assert donor.decode("HAPLO") == "Haploidentical"
    assert donor.decode("CORD") == "CORD"


def test_an_unknown_field_is_an_error_not_silently_ignored(tmp_path):
    msg = _broken(tmp_path, lambda r: r["arms"][0].update(colour_name="blue"))
    assert "arms[0].colour_name" in msg


def test_a_colour_that_is_not_hex_names_the_arm_and_the_value(tmp_path):
    msg = _broken(tmp_path, lambda r: r["arms"][1].update(colour="orange"))
    assert "arms[1].colour" in msg and "'orange'" in msg


def test_exactly_one_reference_arm(tmp_path):
    msg = _broken(tmp_path, lambda r: r["arms"][0].update(reference=True))
    assert "exactly one arm must have reference: true; found 2" in msg


def test_a_subgroup_of_an_unknown_variable_is_named(tmp_path):
    msg = _broken(tmp_path, lambda r: r["subgroups"].append({"variable": "ECOG"}))
    assert "subgroups[8].variable: 'ECOG' is not in variables" in msg


def test_a_continuous_subgroup_needs_breaks(tmp_path):
    msg = _broken(tmp_path, lambda r: r["subgroups"].append({"variable": "AGE"}))
    assert "AGE is continuous and needs breaks" in msg


def test_the_main_landmark_must_be_a_landmark(tmp_path):
    msg = _broken(tmp_path, lambda r: r["time"].update(main_landmark=1000))
    assert "main_landmark=1000 is not one of the landmarks" in msg


def test_a_competing_endpoint_needs_both_causes(tmp_path):
    msg = _broken(tmp_path, lambda r: r["endpoints"][0].update(causes={1: "Relapse"}))
    assert "endpoints[0]: a competing endpoint needs causes 1 and 2" in msg


def test_the_primary_endpoint_must_exist_and_be_competing(tmp_path):
    assert "primary.endpoint: 'XYZ' is not an endpoint" in _broken(
        tmp_path, lambda r: r["primary"].update(endpoint="XYZ")
    )
    assert "primary.endpoint: OS must be a competing endpoint" in _broken(
        tmp_path, lambda r: r["primary"].update(endpoint="OS")
    )


def test_every_problem_is_listed_at_once(tmp_path):
    def two_faults(r):
        r["arms"][0]["colour"] = "red"
        r["time"]["tick_every"] = -1

    msg = _broken(tmp_path, two_faults)
    assert "(2 problems)" in msg and "time.tick_every" in msg


def test_not_yaml_and_not_a_mapping_and_a_missing_file_are_clear(tmp_path):
    with pytest.raises(StudyError, match="not valid YAML"):
        parse_study("arms: [", "x.yaml")
    with pytest.raises(StudyError, match="expected a mapping of sections"):
        parse_study("- 1\n- 2\n", "x.yaml")
    with pytest.raises(StudyError, match="no such file"):
        load_study(tmp_path / "absent.yaml")


def test_the_default_and_safety_populations_must_be_populations_of_the_study(tmp_path):
    assert load_study().default_population == "ITT" and load_study().safety_population == "SAFETY"
    msg = _broken(tmp_path, lambda r: r.update(default_population="MITT"))
    assert "default_population: 'MITT' is not a population" in msg
    msg = _broken(tmp_path, lambda r: r.update(safety_population="TREATED"))
    assert "safety_population: 'TREATED' is not a population" in msg

"""The playground: in Python, each change retrains and a bad value is explained while the last good run stays; in a
real JupyterLab and chromium, typed values train the run a plain-float replay computes."""
import re
import shutil
import warnings

from hnn.config import Config
from hnn.notebook.playground import Playground
from tests import plain
from tests.browser import run_all
from tests.conftest import ROOT
from tests.test_browser import lab, page, screenshot  # noqa: F401 (lab and page are fixtures)

PLAYGROUND = ROOT / "notebooks" / "playground.ipynb"
RUN_ALL = 240_000  # milliseconds for a kernel start and the playground's first run (importing torch) on busy cores
REGION = ".jp-NotebookPanel [role=region][aria-label=Playground]"
# The texts of the charts that stick out of their own chart, as "text: left..right" in pixels of the page.
OUTSIDE_CHARTS_JS = """(root) => [...root.querySelectorAll('svg[role=img]')].flatMap(svg => {
    const chart = svg.getBoundingClientRect();
    return [...svg.querySelectorAll(':scope > text')].map(t => [t.textContent, t.getBoundingClientRect()])
        .filter(([, box]) => box.left < chart.left - 0.5 || box.right > chart.right + 0.5)
        .map(([text, box]) => `${text}: ${box.left}..${box.right} outside ${chart.left}..${chart.right}`);
})"""
WIDGET_ERROR = re.compile(r"Error displaying widget|model not found", re.IGNORECASE)


def final_loss(**overrides) -> str:
    """The final loss a plain-float replay of these hyperparameters reaches, as the playground prints it (6 decimals)."""
    return f"{plain.replay(**overrides)[1].loss:.6f}"


def shown_loss(playground: Playground) -> str:
    return re.search(r'class="hnn-loss">([^<]*)<', playground.numbers.value)[1]


def test_every_change_retrains_and_a_bad_value_keeps_the_last_good_run():
    playground = Playground()
    assert shown_loss(playground) == final_loss()
    playground.fields["learning_rate"].value = "0.5"
    playground.sliders["epochs"].value = 25  # the slider writes its value into the field, which trains
    assert playground.fields["epochs"].value == "25"
    assert shown_loss(playground) == final_loss(learning_rate=0.5, epochs=25)
    assert playground.previous is not None and "#999999" in playground.charts.value  # the run before, in grey
    good = playground.numbers.value, playground.charts.value
    for name, typed, message in (("learning_rate", "abc", "learning_rate must be a finite number, got 'abc'"),
                                 ("learning_rate", "0", "learning_rate must be a number greater than 0"),
                                 ("x1", "2,5", "x1 must be a finite number, got '2,5'")):
        playground.fields[name].value = typed
        assert message.replace("'", "&#x27;") in playground.message.value
        assert (playground.numbers.value, playground.charts.value) == good  # the last good run stays
        playground.fields[name].value = {"learning_rate": "0.5", "x1": "2.0"}[name]
    assert playground.message.value == ""
    playground.reset.click()
    assert {name: field.value for name, field in playground.fields.items()} == {
        name: repr(value) if isinstance(value, float) else str(value)
        for name, value in Config().to_dict().items() if name != "activation"}
    assert shown_loss(playground) == final_loss()


def test_two_bad_fields_are_both_named_and_the_last_good_run_is_marked():
    playground = Playground()
    playground.fields["epochs"].value = "25"
    good = playground.numbers.value, playground.charts.value
    playground.fields["learning_rate"].value = "abc"
    playground.fields["epochs"].value = "2000"  # a whole number, but more than the playground trains
    lines = re.findall(r"<div>([^<]*)</div>", playground.message.value)
    assert lines == ["learning_rate must be a finite number, got &#x27;abc&#x27;",
                     "epochs must be a whole number from 0 to 1000, got &#x27;2000&#x27;"]
    playground.fields["epochs"].value = "-3"  # out of any run's range: still the playground's own range, not a Config's
    assert re.findall(r"<div>([^<]*)</div>", playground.message.value)[1] == ("epochs must be a whole number from 0 to"
                                                                               " 1000, got &#x27;-3&#x27;")
    assert [name for name, field in playground.fields.items() if "hnn-bad" in field._dom_classes] == ["learning_rate",
                                                                                                     "epochs"]
    assert (playground.numbers.value, playground.charts.value) == good
    assert "hnn-stale" in playground.results._dom_classes
    playground.fields["learning_rate"].value = "0.01"
    assert [name for name, field in playground.fields.items() if "hnn-bad" in field._dom_classes] == ["epochs"]
    playground.fields["epochs"].value = "30"
    assert playground.message.value == "" and shown_loss(playground) == final_loss(epochs=30)
    assert "hnn-stale" not in playground.results._dom_classes


def test_an_arrow_key_moves_a_slider_by_a_hundredth():
    playground = Playground()
    assert {name: slider.step for name, slider in playground.sliders.items() if name not in ("learning_rate", "epochs")} \
        == dict.fromkeys(["x1", "x2", "w1", "w2", "b", "target"], 0.01)
    playground.sliders["b"].value = 6.89  # where an arrow key takes it from 6.88: the field follows, and trains
    assert playground.fields["b"].value == "6.89" and shown_loss(playground) == final_loss(b=6.89)


def test_activation_and_an_unreachable_target_retrain_with_a_note():
    playground = Playground()
    playground.choices["activation"].value = "sigmoid"
    assert shown_loss(playground) == final_loss(activation="sigmoid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the playground shows the warning itself; none may escape
        playground.fields["target"].value = "1.2"
    assert "outside what sigmoid can output" in playground.message.value
    assert shown_loss(playground) == final_loss(activation="sigmoid", target=1.2)


def test_the_hidden_layers_playground_trains_as_the_replay_and_resets_to_mazurs_values():
    from hnn.lessons import hidden_layer

    def replayed(**start) -> str:  # the loss after the lesson's 100 epochs: the replay's 101st forward pass
        return f"{plain.replay_hidden_layer(101, 0.5, **start)[-1]['L']:.6f}"

    playground = Playground(Config(hidden_layer))
    assert shown_loss(playground) == replayed()
    playground.fields["w1"].value = "-0.4"
    playground.choices["train_biases"].value = True
    assert shown_loss(playground) == replayed(w1=-0.4, train_biases=True)
    playground.choices["activation"].value = "tanh"
    assert shown_loss(playground) == replayed(w1=-0.4, train_biases=True, activation="tanh")
    playground.reset.click()
    assert shown_loss(playground) == replayed() and playground.fields["w1"].value == "0.15"


def type_into(tab, name: str, text: str):
    """Type into the text field whose accessible name is the parameter's, and commit it as Enter does."""
    field = tab.locator(REGION).get_by_role("textbox", name=name, exact=True)
    field.fill(text)
    field.press("Enter")


def loss_in_page(tab) -> str:
    return tab.locator(f"{REGION} .hnn-loss").inner_text()


def test_playground_in_jupyterlab_trains_what_is_typed(lab, page, tmp_path):  # noqa: F811 (pytest fixtures)
    notebook = lab["notebook"].parent / PLAYGROUND.name
    shutil.copyfile(PLAYGROUND, notebook)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{lab['base']}/lab/tree/{notebook.name}?token={lab['token']}")
    try:
        # As committed (untrusted, so JupyterLab draws no widget): its numbers and pictures as saved, no widget error.
        output = page.locator(".jp-NotebookPanel .jp-OutputArea-output").first
        output.get_by_text("To play, run this cell in JupyterLab").wait_for()
        assert output.locator(".hnn-loss").inner_text() == final_loss()
        pictures = output.locator("img")
        pictures.last.wait_for()
        assert pictures.count() == 3  # the loss curve, the descent path, the stepper's first frame
        for picture in pictures.all():
            assert picture.evaluate("img => img.complete && img.naturalWidth > 300") and picture.get_attribute("alt")
        assert pictures.nth(0).get_attribute("alt") == f"Loss per epoch: {plain.replay()[0][0].loss:.6f} before training," \
                                                       f" {final_loss()} after."
        assert not WIDGET_ERROR.search(page.locator(".jp-NotebookPanel").inner_text())
        page.screenshot(path=tmp_path / "1-as-committed.png")

        run_all(page, RUN_ALL)
        page.wait_for_selector(REGION)
        assert page.locator(REGION).evaluate(OUTSIDE_CHARTS_JS) == []  # the default run's landscape is a close-up

        type_into(page, "learning_rate", "0.5")
        type_into(page, "epochs", "25")
        expected = final_loss(learning_rate=0.5, epochs=25)
        page.wait_for_function(f"() => document.querySelector('{REGION} .hnn-loss')?.textContent === '{expected}'")
        assert page.locator(REGION).get_by_role("textbox", name="epochs", exact=True).input_value() == "25"
        page.locator(f"{REGION} .hnn-stepper .hnn-where").filter(has_text="epoch 1 of 25").wait_for()  # it follows
        assert page.locator(REGION).evaluate(OUTSIDE_CHARTS_JS) == []  # every title, tick and axis name inside its chart
        page.screenshot(path=tmp_path / "2-learning-rate-0.5-epochs-25.png")
        screenshot(page, tmp_path / "2-the-whole-notebook.png")

        # An arrow key on b's slider moves b by a hundredth: 6.8814 sits at 6.88 on the slider's grid of 0.01 from -10.
        handle = page.locator(REGION).locator(".widget-hbox", has=page.get_by_role("textbox", name="b", exact=True)) \
            .locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")
        b_field = page.locator(REGION).get_by_role("textbox", name="b", exact=True)
        # This run's loss prints as the last one's (0.077250: n ends at −0.415 then, +0.415 now), its trained b does not.
        trained_b = plain.replay(learning_rate=0.5, epochs=25, b=6.89)[1].b
        page.wait_for_function(f"() => document.querySelector('{REGION} .hnn-loss')?.closest('p').textContent"
                               f".includes('b = {trained_b:.6f};')")
        assert b_field.input_value() == "6.89"
        expected = final_loss(learning_rate=0.5, epochs=25, b=6.89)
        assert loss_in_page(page) == expected

        type_into(page, "learning_rate", "abc")
        type_into(page, "x1", "2,5")
        message = page.locator(f"{REGION} [role=alert]")
        page.wait_for_function(f"() => document.querySelector('{REGION} [role=alert]')?.children.length === 2")
        assert message.inner_text().splitlines() == ["x1 must be a finite number, got '2,5'",
                                                     "learning_rate must be a finite number, got 'abc'"]
        bad = page.locator(f"{REGION} .hnn-bad").evaluate_all("boxes => boxes.map(b => b.querySelector('label').textContent)")
        assert bad == ["x1", "learning_rate"]
        assert loss_in_page(page) == expected  # the last good run stays on screen, marked as such
        stale = page.locator(f"{REGION} .hnn-stale")  # the numbers, the charts and the stepper, in one box
        assert stale.evaluate_all("""boxes => boxes.map(box => [getComputedStyle(box, '::before').content,
            box.querySelectorAll('.hnn-loss, svg[aria-label^="Loss per epoch"], .hnn-stepper').length])""") == \
            [['"Last good run, not the fields above"', 3]]
        page.screenshot(path=tmp_path / "3-two-bad-fields.png")
        type_into(page, "x1", "2.0")
        page.wait_for_function(f"() => document.querySelector('{REGION} [role=alert]')?.children.length === 1")
        assert stale.count() == 1
        type_into(page, "learning_rate", "0.5")
        page.wait_for_function(f"() => !document.querySelector('{REGION} .hnn-stale, {REGION} .hnn-bad')")
        assert loss_in_page(page) == expected
    except BaseException:
        page.screenshot(path=tmp_path / "failure.png")
        print(f"screenshot: {tmp_path / 'failure.png'}")
        raise
    print(f"screenshots: {tmp_path}")

"""The examples every ``arb`` subcommand's ``--help`` ends with (tests/test_cli_help.py parses each
``arb ...`` line with the real parser, so an example cannot drift from the flags)."""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "list": """\
  arb list                                   every kind: datasets, representations, models, attacks, suites
  arb list suites --describe                 one line per suite
  arb list attacks""",
    "train": """\
  arb train --suite quick
  arb train --suite quick --entry cnn2d_stft
  arb train --suite quick --dataset folder:~/my_clips --baselines /tmp/my_baselines""",
    "run": """\
  arb run --suite quick                      the walking skeleton (~2 min on 2 cores)
  arb run --suite standard --jobs 2          two cells at once, one thread each
  arb run --suite quick --no-cache --output /tmp/lb   recompute everything elsewhere
  arb run --suite zoo --ray                  cells as tasks of a local Ray instance
  arb run --suite koerich2020 --data-root ~/data/gtzan   a seed protocol on real data""",
    "sweep": """\
  arb sweep --architecture cnn2d --representation mfcc_resized --setting n_mfcc=13,20,40 \\
      --attack fgsm/native --attack bim_b/native --budgets 0.001,0.01,0.03 \\
      --output sweeps/n_mfcc
  ... --representation stft --setting window_scale=0.25,0.5,1 --param n_fft=1024 \\
      --param hop_length=256                       (Fig. 4: window length / n_fft)
  ... --representation mfcc --setting dct_norm=ortho,none  (none/true/false parse as such)
  ... --representation dwt --setting wavelet=haar,mexh,cmor1.5-1.0
  ... --representation mfcc --setting sample_rate=8000,16000,22050,24000  (the data's rate)
settings: `arb list representations --describe`, or a bad name lists the valid ones.""",
    "summary": """\
  arb summary leaderboards/quick/v1/synth10              every entry of a board
  arb summary leaderboards/quick/v1/synth10/cnn2d_stft.json --markdown""",
    "schema": """\
  arb schema                                 the JSON Schema on stdout (redirect it to a file to keep it)""",
    "validate": """\
  arb validate submissions/example-cnn2d-stft
  arb validate submissions/example-cnn2d-stft --suite quick   also: can `quick` evaluate it?""",
    "submit": """\
  arb submit submissions/example-cnn2d-stft --suite quick
  arb submit submissions/example-cnn2d-stft --suite quick --output /tmp/lb --force
  arb submit submissions/example-cnn2d-stft --suite quick --unsafe-no-sandbox   trusted code, no bwrap""",
    "leaderboard": """\
  arb leaderboard --suite quick                          ranked table in the terminal
  arb leaderboard --suite quick --format html            write leaderboards/quick/v1/index.html
  arb leaderboard --suite quick --output /tmp/lb --format markdown""",
    "compare": """\
  arb compare leaderboards/quick/v1/synth10 /tmp/lb/quick/v1/synth10
  arb compare leaderboards/quick/v1/synth10/cnn2d_stft.json /tmp/lb/quick/v1/synth10/cnn2d_stft.json""",
    "data": """\
  arb data list
  arb data fetch esc50 --data-root ~/data/ESC-50
  arb data check folder --data-root ~/my_clips""",
    "data fetch": """\
  arb data fetch esc50 --data-root ~/data/ESC-50
  arb data fetch gtzan --data-root ~/data/gtzan --url https://mirror.example/genres.tar.gz""",
    "data check": """\
  arb data check gtzan --data-root ~/data/gtzan
  arb data check folder --data-root ~/my_clips      your own clips: <class>/*.wav or labels.csv + audio/""",
    "data list": """\
  arb data list""",
}


def epilog(command: str) -> str:
    return "examples:\n" + EXAMPLES[command]

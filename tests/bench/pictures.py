"""The pictures of a bench report (report.py): a timeline per failover
kind and interval, and idle CPU against the number of routers."""

import statistics

from report import (KIND_LABELS, agent_order, fmt_interval, idle_groups, role_rank,
                    section)

AGENT_COLOURS = {"promvipd": "tab:blue", "promvipd-rapid": "tab:cyan",
                 "keepalived": "tab:gray"}
ANSWER_COLOURS = {"h1": "tab:orange", "h2": "tab:blue", "ERR": "red"}


def first_h2_answer(timeline):
    """Time of the first client answer from h2 after the fault, or None."""
    fault = timeline.get("fault", 0)
    for t, answer in timeline.get("samples") or []:
        if t >= fault and answer == "h2":
            return t
    return None


def draw_timeline(ax, timeline, xmin, xmax):
    """One agent's panel: client answers and adverts per host."""
    fault = timeline.get("fault", 0)
    samples = [(t - fault, a) for t, a in timeline.get("samples") or [] if xmin <= t - fault <= xmax]
    for answer, colour in ANSWER_COLOURS.items():
        xs = [t for t, a in samples if (a.startswith("ERR") if answer == "ERR" else a == answer)]
        ax.scatter(xs, [2] * len(xs), marker="|", s=120, color=colour, linewidths=1)
    other = [t for t, a in samples if a not in ("h1", "h2") and not a.startswith("ERR")]
    ax.scatter(other, [2] * len(other), marker="|", s=120, color="tab:gray", linewidths=1)
    for y, host in ((1, "h1"), (0, "h2")):
        adverts = [(t - fault, p) for t, h, p in timeline.get("adverts") or [] if h == host]
        shown = [(t, p) for t, p in adverts if xmin <= t <= xmax]
        ticks = [t for t, p in shown if p != 0]
        zeros = [t for t, p in shown if p == 0]
        ax.scatter(ticks, [y] * len(ticks), marker="|", s=200, color="black", linewidths=1)
        ax.scatter(zeros, [y] * len(zeros), marker="x", s=50, color="purple")
        previous = None
        for t, priority in shown:
            if priority != previous:
                ax.annotate(str(priority), (t, y), xytext=(2, 7), textcoords="offset points", fontsize=7)
                previous = priority
    ax.axvline(0, color="black", linewidth=1.2)
    if timeline.get("vip_moved") is not None:
        ax.axvline(timeline["vip_moved"] - fault, color="green", linestyle="--")
    if timeline.get("bound_s") is not None:
        ax.axvline(timeline["bound_s"], color="grey", linestyle=":", linewidth=1.5)
    first = first_h2_answer(timeline)
    if first is not None:
        ax.axvline(first - fault, color="blue", linewidth=1)
    ax.set_yticks([0, 1, 2])
    ax.set_yticklabels(["h2 adverts", "h1 adverts", "client"])
    ax.set_ylim(-0.6, 2.6)
    ax.grid(axis="x", alpha=0.3)
    title = timeline.get("agent", "?")
    if first is not None:
        title += f": first answer from h2 {first - fault:.2f} s after the fault"
    ax.set_title(title, fontsize=9, loc="left")


def timeline_picture(results, kind, interval, path):
    """Writes the timeline PNG of one kind and interval."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    timelines = [t for t in section(results, "timelines")
                 if t.get("kind") == kind and t.get("interval") == interval]
    panels = []
    for agent in agent_order({t.get("agent") for t in timelines}):
        panels.append(next(t for t in timelines if t.get("agent") == agent))
    xmin = -1.5 * interval - 0.5
    ends, data_end = [], xmin + 1
    for t in panels:
        fault = t.get("fault", 0)
        first = first_h2_answer(t)
        ends.append(t.get("bound_s") or 0)
        if first is not None:
            ends.append(first - fault)
        if t.get("vip_moved") is not None:
            ends.append(t["vip_moved"] - fault)
        times = [s[0] for s in t.get("samples") or []] + [a[0] for a in t.get("adverts") or []]
        if times:
            data_end = max(data_end, max(times) - fault)
    xmax = min(max(ends) + 1, data_end)
    xmax = max(xmax, xmin + 1)

    height = 2.2 * len(panels) + 1.2
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(10, height), squeeze=False)
    for ax, timeline in zip(axes[:, 0], panels):
        draw_timeline(ax, timeline, xmin, xmax)
    axes[-1, 0].set_xlim(xmin, xmax)
    axes[-1, 0].set_xlabel("seconds after the fault")
    fig.suptitle(f"{KIND_LABELS.get(kind, kind)} at {fmt_interval(interval)} adverts: who answered the client")
    handles = [
        Line2D([], [], marker="|", linestyle="", color=ANSWER_COLOURS["h1"], markersize=10, label="answer from h1"),
        Line2D([], [], marker="|", linestyle="", color=ANSWER_COLOURS["h2"], markersize=10, label="answer from h2"),
        Line2D([], [], marker="|", linestyle="", color="red", markersize=10, label="failed request"),
        Line2D([], [], marker="|", linestyle="", color="black", markersize=10, label="advert (number: priority)"),
        Line2D([], [], marker="x", linestyle="", color="purple", label="priority 0 advert"),
        Line2D([], [], color="black", label="fault"),
        Line2D([], [], color="blue", label="first answer from h2"),
        Line2D([], [], color="green", linestyle="--", label="VIP moved (ARP from h2)"),
        Line2D([], [], color="grey", linestyle=":", label="RFC bound"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.subplots_adjust(top=1 - 0.75 / height, bottom=1.0 / height, hspace=0.35, left=0.1, right=0.98)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def idle_picture(results, path):
    """Writes idle-cpu.png: CPU % per router count, bars per agent."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = idle_groups(section(results, "idle"))
    intervals = sorted({k[0] for k in groups}, reverse=True)
    roles = sorted({k[3] for k in groups}, key=role_rank)
    routers = sorted({k[1] for k in groups})
    series = [(agent, check) for agent in agent_order({k[4] for k in groups})
              for check in (False, True) if any(k[4] == agent and k[2] == check for k in groups)]
    width = 0.8 / max(len(series), 1)
    fig, axes = plt.subplots(len(intervals), len(roles), figsize=(5 * len(roles), 3.2 * len(intervals)),
                             squeeze=False)
    for row, interval in enumerate(intervals):
        for col, role in enumerate(roles):
            ax = axes[row, col]
            for index, (agent, check) in enumerate(series):
                xs, heights, below, above = [], [], [], []
                for position, count in enumerate(routers):
                    cpu = groups.get((interval, count, check, role, agent), {}).get("cpu")
                    if not cpu:
                        continue
                    middle = statistics.median(cpu)
                    xs.append(position - 0.4 + width * (index + 0.5))
                    heights.append(middle)
                    below.append(middle - min(cpu))
                    above.append(max(cpu) - middle)
                ax.bar(xs, heights, width, yerr=[below, above], capsize=3,
                       color=AGENT_COLOURS.get(agent, "tab:olive"), edgecolor="black", linewidth=0.5,
                       hatch="//" if check else None,
                       label=agent + (" with check" if check else ""))
            ax.set_xticks(range(len(routers)))
            ax.set_xticklabels([str(r) for r in routers])
            ax.set_xlabel("routers")
            ax.set_ylabel("CPU % of one core")
            ax.set_title(f"{role}, {fmt_interval(interval)} adverts", fontsize=10)
            ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(series), fontsize=8, frameon=False)
    fig.suptitle("Idle CPU without and with health check (median of windows, error bars: min–max)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)

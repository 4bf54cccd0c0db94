"""What producers put out for the notify function: the notification job contract and its queue
(``jobs``), and the requeue of a dead-lettered job (``replay``). A low layer: workflow steps,
escalation, reports and intake enqueue through it without depending on ``pagerless.notify``,
which routes, renders and delivers (and sits above them)."""

"""Pure functions that do Pagefold's work; Prefect tasks in `flows/` wrap them."""

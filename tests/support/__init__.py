"""What the tests share besides fixtures: domain factories, constants, floors and steps.

It lives in a package of its own (imported as `tests.support`, the project root being on the
test path) so no test reaches into `conftest` or edits `sys.path` to borrow another folder's helpers.
"""

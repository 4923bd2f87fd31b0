"""The level above: an aggregate unit (a city's or province's báo cáo tổng hợp) compiled from its
members' reports, from the bags the members send.

``baocao.yml`` declares it like any unit, with ``kind: aggregate`` and its ``members``::

    units:
      - {id: mong-cai, kind: aggregate, name: "Ủy ban MTTQ Việt Nam thành phố Móng Cái",
         body_name: "THÀNH PHỐ MÓNG CÁI", place: "Móng Cái",
         members: [binh-ngoc, tran-phu, {id: hai-hoa, key: keys/hai-hoa.pub}]}

:mod:`.intake` finds and verifies each member's report (its bag in
``data/raw/<aggregate>/<year>/``, or its build in the same project); :mod:`.rollup` compiles the
figures by the rules declared in ``indicators.yml`` (``rollup:``) and checks each member's row
against its own report; :mod:`.targets` reads the aggregate's own targets (``chi-tieu.yml``);
:mod:`.report` composes the report (``report/tong-hop.qmd.j2``) and the data-quality record;
:mod:`.build` builds the year like :mod:`baocao.pipeline` builds a ward's.
"""

from .build import build_aggregate
from .intake import MemberReport, read_members
from .rollup import compile_metrics, compile_values

__all__ = ["MemberReport", "build_aggregate", "compile_metrics", "compile_values", "read_members"]
